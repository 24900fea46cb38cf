// The reducer on captures of a graph it was not written against: the expected outcome of every derivation comes
// from the real store after each run (the .truth.json beside each capture), never from the log.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayFiles } from '../../src/ingest/replay.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { replay, root } from '../helpers.js';

const dir = join(root, 'tests/fixtures/captures');

type Truth = {
  exitCode: number; failingDrv: string | null; signal?: string; plannedDrvs: string[];
  drvs: Record<string, { name: string; outputsValid: boolean; dependsOnFailing: boolean }>;
};
const truthOf = (name: string): Truth => JSON.parse(readFileSync(join(dir, `${name}.truth.json`), 'utf8')) as Truth;
const captures = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => f.replace(/\.jsonl$/, '')).sort();

/** What the store says each derivation that needed building ended as. */
function expectedStatus(truth: Truth, drvPath: string): string {
  const drv = truth.drvs[drvPath]!;
  if (drv.outputsValid) return 'built';
  if (drvPath === truth.failingDrv) return 'failed';
  return truth.signal ? 'interrupted' : 'cancelled';
}

describe.each(captures)('%s', (name) => {
  it('ends every derivation as the store says', async () => {
    const truth = truthOf(name);
    const state = await replay([join(dir, `${name}.jsonl`)]);
    const want: Record<string, string> = {};
    const got: Record<string, string | undefined> = {};
    for (const drvPath of truth.plannedDrvs) {
      want[truth.drvs[drvPath]!.name] = expectedStatus(truth, drvPath);
      got[truth.drvs[drvPath]!.name] = state.derivations.get(drvPath)?.status;
    }
    expect(got).toEqual(want);
    expect(state.decodeErrors).toBe(0);
    const [job] = state.jobs.values();
    expect(job?.status).toBe(truth.signal ? 'interrupted' : truth.exitCode === 0 ? 'succeeded' : 'failed');
    if (truth.failingDrv) expect(state.derivations.get(truth.failingDrv)).toMatchObject({ status: 'failed', exitCode: 2 });
  });
});

describe('two clients on overlapping derivations through one daemon', () => {
  const first = 'log-daemon-root-two-clients-1-release';
  const second = 'log-daemon-root-two-clients-2-bundle-tools';

  it('shows the second client waiting on the first one’s builds, never building them twice', async () => {
    let state = initialState();
    const waited = new Map<string, string>();
    await replayFiles([join(dir, `${second}.jsonl`)], (e) => {
      state = reduce(state, e);
      for (const d of state.derivations.values()) if (d.status === 'waiting' && d.reason) waited.set(d.name, d.reason);
    });
    expect([...waited.keys()].sort()).toEqual(['base-1.0', 'fonts-2.1', 'libdelta-7.0']);
    expect(waited.get('fonts-2.1')).toMatch(/^waiting for lock on '\/nix\/store\/[a-z0-9]{32}-fonts-2\.1'$/);
    const [job] = state.jobs.values();
    expect(job?.plan).toHaveLength(truthOf(second).plannedDrvs.length);
    expect([...state.derivations.values()].every((d) => d.startedAt === null && d.machine === null)).toBe(true);
  });

  it('keeps the two sources apart although they reuse the same activity ids', async () => {
    const state = await replay([first, second].map((n) => join(dir, `${n}.jsonl`)));
    expect(state.jobs.size).toBe(2);
    const truth = truthOf(first);
    for (const drvPath of truth.plannedDrvs) expect(state.derivations.get(drvPath)?.status).toBe('built');
    const jobsPerDrv = [...state.derivations.values()].map((d) => d.jobs.length);
    expect(jobsPerDrv.filter((n) => n === 2)).toHaveLength(truthOf(second).plannedDrvs.length);
  });
});
