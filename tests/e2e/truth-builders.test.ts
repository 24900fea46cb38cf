// Issue 9: a build not streamed to the daemon (a plain nix-build through the real nix-daemon, no `nix-btm run`) is
// tied to its derivation through its builder's environment and shown running, of no known job; SIGSTOP on its
// builder shows it frozen with its clock stopped, in status, the Jobs/Eagle Eye/Builder rows alike. A user's build
// through the daemon is that user's job (the worker's client, from the kernel), and one killed is not a success.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hello } from '../../src/client/daemon-client.js';
import { NOT_STREAMED } from '../../src/state/builders.js';
import { BUILDER_COLUMNS, builderRows } from '../../src/ui/rows-builder.js';
import { freshDir, sleep, startDaemon, startRun, stopAll, waitForStatus } from './daemon-helpers.js';
import { TEST_USER, nixAvailable, nonce, storePathValid, tinyExprSource, writeExpr } from './nix-harness.js';

beforeAll(() => nixAvailable());
afterEach(stopAll);

/** A plain nix-build of `expr` through the daemon as TEST_USER (its own process group). */
const userNixBuild = (expr: string, n: string) => spawn('setpriv', [`--reuid=${TEST_USER}`, `--regid=${TEST_USER}`, '--init-groups', 'env',
  `HOME=/home/${TEST_USER}`, 'NIX_REMOTE=daemon', 'nix-build', expr, '--argstr', 'nonce', n, '--no-out-link'], { stdio: 'ignore', detached: true });

// The builds nix-btm's daemon found only in /proc are what this test is about: keep them in status documents.
const LOCAL = { local: true } as const;

describe('builds only /proc knows of', () => {
  it('are tied, running of an unknown job, and frozen with the clock stopped while SIGSTOPped', async () => {
    const d = await startDaemon({ refreshMs: 200 });
    const expr = writeExpr(freshDir('nix-btm-expr-'), tinyExprSource('nix-btm-truth-unstreamed', 30));
    const nix = spawn('nix-build', [expr, '--argstr', 'nonce', nonce(), '--no-out-link'], { env: { ...process.env, NIX_REMOTE: 'daemon' }, stdio: 'ignore', detached: true });
    try {
      const mid = await waitForStatus(d.dir, (s) => s.derivations.some((x) => x.name === 'nix-btm-truth-unstreamed' && x.status === 'running'), 60_000, 'the unstreamed build, tied', false, LOCAL);
      const drv = mid.derivations.find((x) => x.name === 'nix-btm-truth-unstreamed')!;
      expect(drv.reason).toBe(NOT_STREAMED);
      // No stream names its job: none yet, or the daemon's own "local" job made from /proc (local-builds.ts).
      expect(drv.jobs.every((j) => j.startsWith('local:'))).toBe(true);
      const builder = mid.processes.find((p) => p.role === 'builder' && p.drvPath === drv.drvPath)!;
      expect(builder).toBeDefined();
      process.kill(builder.pid, 'SIGSTOP');
      const frozen = await waitForStatus(d.dir, (s) => s.derivations.some((x) => x.drvPath === drv.drvPath && (x as { frozenAt?: number | null }).frozenAt != null), 20_000, 'frozen', true, LOCAL);
      const t1 = frozen.derivations.find((x) => x.drvPath === drv.drvPath)!.durationMs;
      await sleep(1500);
      const { state } = await hello(d.paths.control);
      const row = builderRows(state, { filter: '', sort: { column: 0, desc: false }, expanded: new Set() }).find((r) => r.drvPath === drv.drvPath)!;
      const cell = (title: string): string | undefined => row.cells[BUILDER_COLUMNS.findIndex((c) => c.title === title)];
      expect(cell('DERIVATION')).toBe('nix-btm-truth-unstreamed');
      expect(cell('PHASE')).toBe('frozen');
      const later = await waitForStatus(d.dir, () => true, 1000, 'again', true, LOCAL);
      expect(later.derivations.find((x) => x.drvPath === drv.drvPath)!.durationMs).toBe(t1);
      process.kill(builder.pid, 'SIGCONT');
      const thawed = await waitForStatus(d.dir, (s) => s.derivations.some((x) => x.drvPath === drv.drvPath && (x as { frozenAt?: number | null }).frozenAt == null), 20_000, 'thawed', true, LOCAL);
      // Thawed, it started when it started (STARTED was moved forward by the frozen time): the frozen time is
      // counted apart, and left out of its duration.
      const after = thawed.derivations.find((x) => x.drvPath === drv.drvPath)! as { startedAt?: number | null; frozenMs?: number };
      expect(after.startedAt).toBe((drv as { startedAt?: number | null }).startedAt);
      expect(after.frozenMs).toBeGreaterThanOrEqual(1400);
    } finally {
      try { process.kill(-nix.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  });

  it(`${TEST_USER}'s build through nix-daemon is ${TEST_USER}'s job; its builder killed, the job failed as Nix says`, async () => {
    const d = await startDaemon({ refreshMs: 200 });
    const dir = freshDir('nix-btm-expr-');
    chmodSync(dir, 0o755);
    const expr = writeExpr(dir, tinyExprSource('nix-btm-truth-user-local', 60));
    const uid = Number(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout.trim());
    const nix = userNixBuild(expr, nonce());
    try {
      const ours = (s: { jobs: { source: string; uid: number | null; user: string | null; status: string; pid: number | null }[] }) =>
        s.jobs.find((j) => j.source.startsWith('local:') && j.pid === nix.pid);
      // The job is made once the builder has stayed unexplained for a few scans; setpriv execs, so its pid is nix-build's.
      const mid = await waitForStatus(d.dir, (s) => ours(s) !== undefined, 60_000, 'the local job of the user build', false, LOCAL);
      expect(ours(mid)).toMatchObject({ uid, user: TEST_USER, status: 'running' });
      const drv = mid.derivations.find((x) => x.name === 'nix-btm-truth-user-local')!;
      const builder = mid.processes.find((p) => p.role === 'builder' && p.drvPath === drv.drvPath)!;
      const exited = new Promise<number | null>((resolve) => nix.once('exit', (code) => resolve(code)));
      const t0 = Date.now();
      // The builder and its children (Nix gives it a session of its own): a child left alive keeps the log open.
      process.kill(-builder.pid, 'SIGKILL');
      // Nix: "builder for ... failed due to signal 9 (Killed)", and nix-build exits non-zero.
      expect(await exited).not.toBe(0);
      const end = await waitForStatus(d.dir, (s) => ours(s)?.status !== 'running', 60_000, 'the local job ended', false, LOCAL);
      console.log(`local job ended ${Date.now() - t0} ms after the kill`);
      const after = end.derivations.find((x) => x.drvPath === drv.drvPath)!;
      // No log says why the builder ended: failed, or (if only the /proc scan saw it end) interrupted, never built.
      expect(['failed', 'interrupted']).toContain(after.status);
      expect(ours(end)!.status).toBe(after.status);
      expect(Object.values((after as { outputs?: Record<string, string> }).outputs ?? {}).some((o) => storePathValid(o))).toBe(false);
    } finally {
      try { process.kill(-nix.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  });

  it(`two builds of one name, root's streamed and ${TEST_USER}'s not: each builder is its own user's, never tied by the name alone`, async () => {
    const d = await startDaemon({ refreshMs: 200 });
    const dir = freshDir('nix-btm-expr-');
    chmodSync(dir, 0o755);
    // The same name, two derivations (another nonce): the user's builder must not be taken for root's logged one.
    const expr = writeExpr(dir, tinyExprSource('nix-btm-truth-same-name', 40));
    const uid = Number(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout.trim());
    const user = userNixBuild(expr, `user-${nonce()}`);
    const root = startRun(d.dir, ['nix-build', expr, '--argstr', 'nonce', `root-${nonce()}`, '--no-out-link']);
    try {
      type Doc = Parameters<Parameters<typeof waitForStatus>[1]>[0];
      const builders = (s: Doc) => s.processes.filter((p) => p.role === 'builder' && s.derivations.some((x) => x.drvPath === p.drvPath && x.name === 'nix-btm-truth-same-name'));
      const both = await waitForStatus(d.dir, (s) => builders(s).length === 2 && s.jobs.some((j) => j.source.startsWith('local:') && j.pid === user.pid),
        60_000, 'both builders tied, the user\'s in a job of its own', false, LOCAL);
      const [a, b] = builders(both);
      // Two builders, two derivations: one each, never both on the streamed one.
      expect(a!.drvPath).not.toBe(b!.drvPath);
      const jobOf = (drvPath: string | null) => both.derivations.find((x) => x.drvPath === drvPath)!.jobs;
      const userJob = both.jobs.find((j) => j.source.startsWith('local:') && j.pid === user.pid)!;
      expect(userJob).toMatchObject({ uid, user: TEST_USER, status: 'running' });
      const userBuilder = [a!, b!].find((p) => jobOf(p.drvPath).includes(userJob.source));
      const rootBuilder = [a!, b!].find((p) => p !== userBuilder);
      expect(userBuilder).toBeDefined();
      // The streamed one is root's `nix-btm run` job's, and only that job's.
      expect(jobOf(rootBuilder!.drvPath).some((s) => s.startsWith('local:'))).toBe(false);
      expect(jobOf(rootBuilder!.drvPath).length).toBeGreaterThan(0);
      const running = both.derivations.filter((x) => x.name === 'nix-btm-truth-same-name' && x.status === 'running');
      expect(running).toHaveLength(2);
    } finally {
      for (const pid of [user.pid, root.child.pid]) try { process.kill(-pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  });
});
