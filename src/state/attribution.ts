// How a stopped build ended, when Nix only sent a plain `stop`. Nix bumps the Builds counters (done or failed) before
// the stop of a build that finished; a killed build moves neither. But two builds can end in the same tick, and at
// -vvv a stop can come long after later bumps, so the counters are a pool: first Nix's own words take their share
// (a failure message naming the drv, a -vvv goal trace, a BuildResult), then each stop takes what is left, and a stop
// the pool cannot tell apart waits (`undecided`) until a message settles it or the job ends.
import { jobWith } from './entities.js';
import type { At, SourceId } from './events.js';
import type { DerivationStatus, Job } from './model.js';
import type { Draft, OutcomeExtra } from './derivations.js';
import { appendShared, getOrCreateDerivation, isFinished, setOutcome, updateDerivation } from './derivations.js';
import type { TraceStep } from './outcomes.js';
import { mayDecide } from './ownership.js';

export const KILLED = 'killed: another build failed';

/** The counters' share not yet claimed by a named outcome or an earlier stop. */
function pool(job: Job): { done: number; failed: number } {
  return {
    done: Math.max(0, job.progress.done - job.named.done - job.attributed.done),
    failed: Math.max(0, job.progress.failed - job.named.failed - job.attributed.failed),
  };
}

/** Nix itself said how `drvPath` ended: that outcome stands and its counter bump is not handed to another stop. */
export function nameOutcome(d: Draft, source: SourceId, drvPath: string, status: DerivationStatus, at: At, extra: OutcomeExtra = {}): void {
  if (!mayDecide(d, source, drvPath)) return;
  const before = d.derivations.get(drvPath);
  const alreadyNamed = before?.basis === 'nix' && before.status === status;
  const started = before?.owners.includes(source) ?? false;
  setOutcome(d, drvPath, status, at, { ...extra, basis: 'nix' });
  const job = d.jobs.get(source);
  if (!job) return;
  let named = job.named;
  // Only a build this source started moved its counters (a dependent that never started moves none).
  if (!alreadyNamed && started && status === 'built') named = { done: named.done + 1, failed: named.failed };
  if (!alreadyNamed && started && status === 'failed') named = { done: named.done, failed: named.failed + 1 };
  // Left among the waiting stops: settle skips a build Nix has named, and drops it from the list the next time it
  // walks it. Taken out here, each named build searched the list (8,000 failures named in stop order behind 8,000
  // waiting stops took 1.4 s, quadratic, from any user's lines).
  if (named !== job.named) d.jobs.set(source, jobWith(job, { named }));
  settle(d, source, at, false);
}

/** A Build activity of `source` stopped with a plain stop. */
export function buildStopped(d: Draft, source: SourceId, drvPath: string, at: At): void {
  const drv = getOrCreateDerivation(d, drvPath);
  if (isFinished(drv.status) && drv.basis === 'nix') return;
  const job = d.jobs.get(source);
  if (!job) return;
  if (job.progress.expected === 0 && !job.realising) {
    setOutcome(d, drvPath, 'built', at);
    return;
  }
  const { done, failed } = pool(job);
  if (failed > 0) {
    // A failure Nix has not named yet is in the pool: this stop cannot be told apart either. It shows the likelier
    // outcome and waits, appended in place; the stops already waiting are not walked again (each was once per
    // stop before: 8,000 stops behind one unnamed failure, 1.3 MB of any user's lines, took 11 s, quadratic).
    setOutcome(d, drvPath, done > 0 ? 'built' : 'failed', at, { basis: 'inferred' });
    d.jobs.set(source, jobWith(job, { undecided: appendShared(job.undecided, drvPath) }));
    return;
  }
  d.jobs.set(source, jobWith(job, { undecided: appendShared(job.undecided, drvPath) }));
  settle(d, source, at, false);
}

/**
 * Hands the pool out to the undecided stops in stop order while that is unambiguous. `final` (the job ended):
 * what is still ambiguous gets the likelier outcome, inferred.
 */
export function settle(d: Draft, source: SourceId, at: At, final: boolean): void {
  let job = d.jobs.get(source);
  if (!job || job.undecided.length === 0) return;
  // While a failure is unnamed, no waiting stop can be decided before the job ends (each would only be kept, as it
  // is): nothing to walk, whatever event asked (a progress record, a stop, another build's named outcome). The
  // likelier outcome each shows is the one it was given when it stopped.
  if (!final && pool(job).failed > 0) return;
  const keep: string[] = [];
  let { done: attrDone, failed: attrFailed } = job.attributed;
  let { done, failed } = pool(job);
  // A build stopped twice (named in between, then built again) waits once: as its last stop.
  const last = new Map<string, number>();
  job.undecided.forEach((drvPath, i) => last.set(drvPath, i));
  for (const [i, drvPath] of job.undecided.entries()) {
    if (last.get(drvPath) !== i) continue;
    const drv = d.derivations.get(drvPath);
    if (!drv || (isFinished(drv.status) && drv.basis === 'nix')) continue;
    if (done > 0 && failed === 0) {
      setOutcome(d, drvPath, 'built', at, { basis: 'counters' }); done--; attrDone++;
    } else if (done === 0 && failed === 0) {
      setOutcome(d, drvPath, 'cancelled', at, { reason: KILLED });
    } else if (final) {
      const status = done > 0 ? 'built' : 'failed';
      setOutcome(d, drvPath, status, at, { basis: 'inferred' });
      if (status === 'built') { done--; attrDone++; } else { failed--; attrFailed++; }
    } else {
      // Both kinds left (or only a failure Nix has not named yet): show the likelier one and wait for Nix's word.
      setOutcome(d, drvPath, done > 0 ? 'built' : 'failed', at, { basis: 'inferred' });
      keep.push(drvPath);
    }
  }
  job = d.jobs.get(source) ?? job;
  d.jobs.set(source, jobWith(job, { undecided: keep, attributed: { done: attrDone, failed: attrFailed } }));
}

/**
 * -vvv goal traces. `builder process for X finished` then the counter bump then `X: done` brackets X's own bump
 * (one goal at a time in 2.8's worker loop); `done` right after `created` means valid already, right after
 * `all outputs substituted (maybe)` substituted, after `all inputs realised` a dependency failed.
 */
export function onTrace(d: Draft, source: SourceId, drvPath: string, step: TraceStep, at: At): void {
  if (!mayDecide(d, source, drvPath)) return;
  const job = d.jobs.get(source);
  if (!job) return;
  const drv = getOrCreateDerivation(d, drvPath);
  if (step !== 'done') {
    const { done, failed } = job.progress;
    updateDerivation(d, drvPath, () => ({ trace: { source, step, done, failed } }));
    return;
  }
  const t = drv.trace;
  updateDerivation(d, drvPath, () => ({ trace: null }));
  if (!t || t.source !== source) return;
  if (t.step === 'finished') {
    if (job.progress.failed > t.failed) nameOutcome(d, source, drvPath, 'failed', at);
    else if (job.progress.done > t.done) nameOutcome(d, source, drvPath, 'built', at);
  } else if (t.step === 'created') {
    nameOutcome(d, source, drvPath, 'valid', at, { reason: 'already valid' });
  } else if (t.step === 'substituted') {
    nameOutcome(d, source, drvPath, 'substituted', at, { reason: 'substituted' });
  }
}
