// Issue 14, "after a daemon restart a running `nix-btm run` never re-feeds": a real Nix 2.8 build through
// `nix-btm run`, its daemon SIGKILLed mid-build and a new one started in the same runtime dir. The run reconnects
// and replays its log, so the new daemon (which starts with no state) shows the whole build; Nix is not held up.
import { afterEach, describe, expect, it } from 'vitest';
import { graphBuild, nixBtm, sleep, startDaemon, startRun, status, stopAll, waitForStatus } from './daemon-helpers.js';
import { nonce } from './nix-harness.js';

afterEach(async () => { await stopAll(); });

describe('nix-btm run across a daemon restart', () => {
  it('reconnects, replays, and the new daemon shows the build to its end: 13 built, the job succeeded', async () => {
    const first = await startDaemon();
    const run = startRun(first.dir, graphBuild({ nonce: nonce() }));
    const mid = await waitForStatus(first.dir, (s) => s.derivations.some((x) => x.status === 'built') &&
      s.derivations.some((x) => x.status === 'running'), 120_000, 'a build part done', true);
    const builtBefore = mid.derivations.filter((x) => x.status === 'built').map((x) => x.drvPath);
    const durationBefore = new Map(mid.derivations.filter((x) => x.status === 'built').map((x) => [x.drvPath, x.durationMs]));
    const openedBefore = (mid.jobs[0] as { openedAt?: number } | undefined)?.openedAt;
    await first.stop('SIGKILL');
    const second = await startDaemon({ dir: first.dir });
    // The replay arrives within the reconnect backoff: the build shows while it is still running.
    const shown = await waitForStatus(second.dir, (s) => s.jobs.length === 1 && s.derivations.length >= 13, 30_000,
      'the replayed build in the new daemon', true);
    expect(shown.jobs[0]?.via).toBe('run');
    for (const p of builtBefore) expect(shown.derivations.find((x) => x.drvPath === p)?.status, p).toBe('built');
    // The replay carries when each line was read: the builds done before keep their real durations (builders run
    // 1-4 s; a replay stamped with its own arrival would make them 0.0 s) and the job its real start.
    for (const p of builtBefore) {
      const d = shown.derivations.find((x) => x.drvPath === p)!;
      expect(d.durationMs, p).toBeGreaterThanOrEqual(500);
      expect(Math.abs(d.durationMs! - durationBefore.get(p)!), p).toBeLessThanOrEqual(250);
    }
    expect(openedBefore).toBeTypeOf('number');
    expect((shown.jobs[0] as { openedAt?: number }).openedAt).toBe(openedBefore);
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/no daemon/);
    const end = await waitForStatus(second.dir, (s) => s.jobs[0]?.status !== 'running', 30_000, 'the job to end');
    expect(end.jobs).toHaveLength(1);
    expect(end.jobs[0]?.status).toBe('succeeded');
    expect(end.derivations.filter((x) => x.status === 'built')).toHaveLength(13);
    // The new daemon's first scans saw the run's builders before its replay came: they are the run's, not builds of
    // no stream ("a local build by root"), even though no stream had named them yet.
    expect(status(second.dir, { local: true }).jobs.filter((j) => j.via === 'local')).toEqual([]);
    // The history (one database for both daemons) has the build once: one job, succeeded, its 13 builds.
    type Hist = { jobs: { id: number; status: string; built: number; via: string }[] };
    let hist: Hist = { jobs: [] };
    for (let i = 0; i < 40; i++) {
      const r = nixBtm(['history', '--json', '--runtime-dir', first.dir]);
      hist = JSON.parse(r.stdout) as Hist;
      if (hist.jobs.length === 1 && hist.jobs[0]!.status === 'succeeded' && hist.jobs[0]!.built === 13) break;
      await sleep(500);
    }
    expect(hist.jobs.filter((j) => j.via === 'run')).toMatchObject([{ status: 'succeeded', built: 13 }]);
  });
});
