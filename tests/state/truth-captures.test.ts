// Issue 9: every derivation of every outcome capture (tests/fixtures/captures/truth/, real Nix 2.8 runs made by
// scripts/capture-truth.sh) ends as the store says, with Nix's reason. The expected outcome of each drv is in the
// .truth.json beside the capture, computed from the store before and after the run, the binary cache's contents and
// Nix's own error records, never from our reading of the log.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { State } from '../../src/state/model.js';
import { jobCounts } from '../../src/state/selectors.js';
import type { NixRecord } from '../../src/state/nix.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { replay, root } from '../helpers.js';

export const truthDir = join(root, 'tests/fixtures/captures/truth');

export type TruthDrv = {
  name: string; role: string; outputs: Record<string, string>; validBefore: boolean; outputsValid: boolean;
  expected: { outcome: 'built' | 'substituted' | 'valid' | 'not-built' | 'failed' | 'cancelled' | 'interrupted'; reason?: string };
};
export type Truth = { capture: string; exitCode: number; nixErrors: string[]; signal?: string; drvs: Record<string, TruthDrv> };

export const truthOf = (name: string): Truth => JSON.parse(readFileSync(join(truthDir, `${name}.truth.json`), 'utf8')) as Truth;
export const truthCaptures = readdirSync(truthDir).filter((f) => f.endsWith('.jsonl')).map((f) => f.replace(/\.jsonl$/, '')).sort();

/** What we show for a drv, in the truth file's words ('absent' when the log never names it). */
export function shownOutcome(state: State, drvPath: string, drv: TruthDrv): string {
  const d = state.derivations.get(drvPath);
  if (d) return d.status === 'planned' ? 'not-built' : d.status;
  const outs = Object.values(drv.outputs);
  const fetched = [...state.transfers.values()].filter((t) => outs.includes(t.what) && t.status === 'done');
  if (fetched.length > 0 && fetched.every((t) => t.kind === 'substitute')) return 'substituted';
  return 'absent';
}

/** The truth's outcome as we must show it: not-built and valid may also be absent from a -v log (never named). */
export function acceptable(expected: TruthDrv['expected']['outcome'], shown: string): boolean {
  if (expected === 'not-built' || expected === 'valid') return shown === expected || shown === 'absent';
  return shown === expected;
}

describe.each(truthCaptures)('%s', (name) => {
  it('ends every derivation as the store says, with Nix’s reason', async () => {
    const truth = truthOf(name);
    const state = await replay([join(truthDir, `${name}.jsonl`)], { finishedDerivations: Infinity });
    const wrong: string[] = [];
    for (const [drvPath, drv] of Object.entries(truth.drvs)) {
      const shown = shownOutcome(state, drvPath, drv);
      if (!acceptable(drv.expected.outcome, shown)) wrong.push(`${drv.name}: ${shown}, store says ${drv.expected.outcome}`);
      const reason = state.derivations.get(drvPath)?.reason ?? '';
      if (drv.expected.reason && !reason.includes(drv.expected.reason)) wrong.push(`${drv.name}: reason "${reason}" lacks "${drv.expected.reason}"`);
    }
    expect(wrong).toEqual([]);
    expect(state.decodeErrors).toBe(0);
  });

  it('agrees with Nix’s exit code and error list', async () => {
    const truth = truthOf(name);
    const state = await replay([join(truthDir, `${name}.jsonl`)], { finishedDerivations: Infinity });
    const [job] = state.jobs.values();
    const want = truth.signal ? 'interrupted' : truth.exitCode === 0 ? 'succeeded' : truth.nixErrors.some((e) => e.includes('unexpected end-of-file')) ? 'interrupted' : 'failed';
    expect(job?.status).toBe(want);
    const errors = state.messages.filter((m) => m.severity === 'error').map((m) => m.text);
    expect(errors).toEqual(truth.nixErrors);
    // Job counts against the plan: nothing planned is left "remaining" once the job ended.
    expect(job && jobCounts(state, job).remaining).toBe(Object.values(truth.drvs).filter((d) => d.expected.outcome === 'not-built' && state.derivations.get(Object.keys(truth.drvs).find((k) => truth.drvs[k] === d)!)?.status === 'planned').length);
  });
});

const load = (name: string): Promise<State> => replay([join(truthDir, `${name}.jsonl`)], { finishedDerivations: Infinity });
const byName = (state: State, name: string) => [...state.derivations.values()].find((d) => d.name === name);

describe('scenario details', () => {
  it('a crashed daemon worker is reported as such, not as the client going away', async () => {
    const state = await load('daemon-worker-crash');
    const cut = [...state.derivations.values()].filter((d) => d.status === 'interrupted');
    expect(cut.map((d) => d.name).sort()).toEqual(['branch-1', 'branch-2', 'branch-3', 'branch-4', 'crown-2']);
    for (const d of cut) expect(d.reason).toMatch(/^(?:never started: )?the daemon worker died \(unexpected end-of-file\)$/);
    expect([...state.jobs.values()][0]?.workerCrashed).toBe(true);
  });

  it('text inside build log lines and -vvv debug records is never an outcome', async () => {
    const state = await load('daemon-chatter-vvv');
    expect([...state.derivations.keys()].some((p) => p.includes('phantom'))).toBe(false);
    expect(byName(state, 'echo-fake')).toMatchObject({ status: 'built', basis: 'nix' });
    expect(byName(state, 'wobble')).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(byName(state, 'prebuilt')).toMatchObject({ status: 'valid', reason: 'already valid' });
  });

  it('keeps the specified: and got: hashes of a fixed-output mismatch', async () => {
    const reason = byName(await load('daemon-hash-mismatch'), 'fetched-blob')?.reason ?? '';
    expect(reason).toMatch(/^hash mismatch in fixed-output derivation '\/nix\/store\/[a-z0-9]{32}-fetched-blob\.drv':\n\s+specified: sha256-\S+\n\s+got:\s+sha256-\S+$/);
  });

  it('--dry-run and --max-jobs 0 build nothing and say why', async () => {
    for (const d of (await load('daemon-dry-run')).derivations.values()) expect(d).toMatchObject({ status: 'planned', reason: 'not built: nothing was realised (--dry-run)' });
    for (const d of (await load('daemon-max-jobs-0')).derivations.values()) {
      expect(d.status).toBe('planned');
      expect(d.reason).toMatch(/^not built: unable to start any build; either increase '--max-jobs' or enable remote builds/);
    }
  });

  it('one transfer per substituted path (substitute + copy), done', async () => {
    for (const name of ['daemon-substitute', 'daemon-substitute-vvv']) {
      const state = await load(name);
      const transfers = [...state.transfers.values()];
      expect(transfers.map((t) => [t.kind, t.status, t.what.replace(/^.*-/, '')])).toEqual([['substitute', 'done', '2']]);
    }
    expect(byName(await load('daemon-substitute-vvv'), 'leaf-2')).toMatchObject({ status: 'substituted', basis: 'nix' });
  });

  it('counts the job against its plan, derived from the log when Nix printed none (new CLI)', async () => {
    const killed = await load('daemon-killed');
    expect(jobCounts(killed, [...killed.jobs.values()][0]!)).toMatchObject({ planned: 6, built: 1, failed: 1, cancelled: 4, remaining: 0 });
    const cli = await load('daemon-new-cli-fail');
    const job = [...cli.jobs.values()][0]!;
    expect(job.plan).toEqual([]);
    expect(jobCounts(cli, job)).toMatchObject({ planned: 6, built: 1, failed: 1, cancelled: 4, remaining: 0 });
  });
});

describe('byte progress of a transfer', () => {
  it('lands on the substitution from the copy inside it (records built here from the capture’s shapes)', () => {
    // SYNTHETIC: a local file:// cache copies too fast for Nix 2.8 to report progress, so these records follow the
    // shapes of daemon-substitute.jsonl (108 start, 100 start for the same path, then 105 [bytes, narSize, 0, 0]).
    let state = initialState();
    const path = '/nix/store/38r52cpq069ilw24hv5dlm2dmvvvxj9f-leaf-2';
    const src = 'synthetic';
    const nix = (record: NixRecord): void => { state = reduce(state, { kind: 'nix', at: null, source: src, record }); };
    nix({ kind: 'start', id: '1', level: 0, type: 108, text: '', parent: '0', fields: [path, 'file:///c'] });
    nix({ kind: 'start', id: '2', level: 3, type: 100, text: 'copying', parent: '0', fields: [path, 'file:///c', 'local'] });
    nix({ kind: 'result', id: '2', type: 105, fields: [100, 312, 0, 0] });
    nix({ kind: 'stop', id: '2' });
    expect([...state.transfers.values()]).toMatchObject([{ kind: 'substitute', status: 'running', doneBytes: 100, expectedBytes: 312 }]);
    nix({ kind: 'stop', id: '1' });
    expect([...state.transfers.values()]).toMatchObject([{ kind: 'substitute', status: 'done', doneBytes: 100 }]);
  });
});
