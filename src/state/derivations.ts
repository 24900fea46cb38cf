// Derivation entities: creation, status changes (with the rules for which outcome wins), bounded log tails, eviction.
import { derivationWith, jobWith } from './entities.js';
import type { At, SourceId } from './events.js';
import type { Derivation, DerivationStatus, Job, State } from './model.js';
import { appendLine, emptyLogTail } from './log-tail.js';
import { sanitize, storePathName, truncate } from './text.js';

/** The reducer's working copy: the same containers, scalar fields writable. */
export type Draft = { -readonly [K in keyof State]: State[K] };

export const isFinished = (s: DerivationStatus): boolean =>
  s === 'built' || s === 'failed' || s === 'cancelled' || s === 'interrupted';

export function getOrCreateDerivation(d: Draft, drvPath: string): Derivation {
  const existing = d.derivations.get(drvPath);
  if (existing) return existing;
  const info = d.drvInfo.get(drvPath);
  const created: Derivation = {
    drvPath, name: info?.name ?? storePathName(drvPath), status: 'planned', exitCode: null, phase: null, phases: [],
    startedAt: null, stoppedAt: null, machine: null, log: emptyLogTail, inputDrvs: info?.inputDrvs ?? null,
    outputs: info?.outputs ?? null, jobs: [], reason: null, confirmed: false,
  };
  d.derivations.set(drvPath, created);
  return created;
}

export function updateDerivation(d: Draft, drvPath: string, change: (old: Derivation) => Partial<Derivation> | null): void {
  const old = getOrCreateDerivation(d, drvPath);
  const patch = change(old);
  if (patch) d.derivations.set(drvPath, derivationWith(old, patch));
}

/** Records that `source`'s job asked for `drvPath`, on both sides. */
export function linkJob(d: Draft, drvPath: string, source: SourceId): void {
  const drv = getOrCreateDerivation(d, drvPath);
  if (!drv.jobs.includes(source)) d.derivations.set(drvPath, derivationWith(drv, { jobs: [...drv.jobs, source] }));
  const job = d.jobs.get(source);
  if (job && !job.drvs.includes(drvPath)) d.jobs.set(source, jobWith(job, { drvs: [...job.drvs, drvPath] }));
}

/**
 * The outcome rules: a confirmed outcome is not overturned by a weaker guess, a failure message always wins
 * (it may arrive before or after the stop), and a finished build does not go back to planned or waiting.
 */
export function setOutcome(
  d: Draft, drvPath: string, status: DerivationStatus, at: At,
  extra: { confirmed?: boolean; exitCode?: number | null; reason?: string | null } = {},
): void {
  const confirmed = extra.confirmed ?? false;
  updateDerivation(d, drvPath, (old) => {
    if (old.status !== status && !mayBecome(old, status)) return null;
    return {
      status,
      stoppedAt: isFinished(status) ? (old.stoppedAt ?? at) : null,
      confirmed: confirmed || (old.status === status && old.confirmed),
      exitCode: extra.exitCode ?? old.exitCode,
      reason: extra.reason ?? old.reason,
    };
  });
}

function mayBecome(old: Derivation, next: DerivationStatus): boolean {
  if (next === 'failed') return true;
  if (old.confirmed && isFinished(old.status)) return false;
  if (next === 'planned') return false;
  if (next === 'waiting') return !isFinished(old.status) && old.status !== 'running';
  if (old.status === 'failed') return false;
  return true;
}

export function appendLogLine(d: Draft, drvPath: string, line: string): void {
  const old = getOrCreateDerivation(d, drvPath);
  const { logTail: max, lineChars } = d.limits;
  // A builder's output is anyone's text: kept terminal-safe (no cursor moves, no erased rows).
  const safe = sanitize(line.length > lineChars ? truncate(line, lineChars) : line);
  d.derivations.set(drvPath, derivationWith(old, { log: appendLine(old.log, safe, max) }));
}

export function setPhase(d: Draft, drvPath: string, phase: string): void {
  updateDerivation(d, drvPath, (old) => ({
    phase,
    phases: old.phases.length < 32 && old.phases[old.phases.length - 1] !== phase ? [...old.phases, phase] : old.phases,
  }));
}

/** Forgets the oldest finished derivations and closed jobs once past the limits (amortized: 10% at a time). */
export function evict(d: Draft): void {
  const maxDrvs = d.limits.finishedDerivations;
  if (d.derivations.size > maxDrvs * 1.1) {
    let excess = d.derivations.size - maxDrvs;
    for (const [path, drv] of d.derivations) {
      if (excess <= 0) break;
      if (isFinished(drv.status)) { d.derivations.delete(path); d.drvInfo.delete(path); excess--; }
    }
  }
  const maxJobs = d.limits.closedJobs;
  if (d.jobs.size > maxJobs * 1.1) {
    let excess = d.jobs.size - maxJobs;
    for (const [source, job] of d.jobs) {
      if (excess <= 0) break;
      if (isClosed(job)) { d.jobs.delete(source); excess--; }
    }
  }
}

const isClosed = (job: Job): boolean => job.status !== 'running';

/** Replaces the job of `source` with `change(current)`, reading it afresh so earlier changes are kept. */
export function patchJob(d: Draft, source: SourceId, change: (job: Job) => Partial<Job>): void {
  const job = d.jobs.get(source);
  if (job) d.jobs.set(source, jobWith(job, change(job)));
}
