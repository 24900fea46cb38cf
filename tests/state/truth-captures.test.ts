// Issue 9: every derivation of every outcome capture (tests/fixtures/captures/truth/, real Nix 2.8 runs made by
// scripts/capture-truth.sh) ends as the store says, with Nix's reason. The expected outcome of each drv is in the
// .truth.json beside the capture, computed from the store before and after the run, the binary cache's contents and
// Nix's own error records, never from our reading of the log.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { State } from '../../src/state/model.js';
import { jobCounts } from '../../src/state/selectors.js';
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
