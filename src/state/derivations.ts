// Derivation entities: creation, status changes (with the rules for which outcome wins), bounded log tails, eviction.
import { derivationWith, jobWith } from './entities.js';
import type { At, SourceId } from './events.js';
import type { Derivation, DerivationStatus, Job, OutcomeBasis, State } from './model.js';
import { appendLine, emptyLogTail } from './log-tail.js';
import { sanitize, storePathName, truncate } from './text.js';
import { fairDrops } from './fair.js';

/** The reducer's working copy: the same containers, scalar fields writable. */
export type Draft = { -readonly [K in keyof State]: State[K] };

export const isFinished = (s: DerivationStatus): boolean =>
  s === 'built' || s === 'substituted' || s === 'valid' || s === 'failed' || s === 'cancelled' || s === 'interrupted';

/** Its outputs exist: built here, substituted, or valid before anyone asked. */
export const isSuccess = (s: DerivationStatus): boolean => s === 'built' || s === 'substituted' || s === 'valid';

export function getOrCreateDerivation(d: Draft, drvPath: string): Derivation {
  const existing = d.derivations.get(drvPath);
  if (existing) return existing;
  const info = d.drvInfo.get(drvPath);
  const created: Derivation = {
    drvPath, name: info?.name ?? storePathName(drvPath), status: 'planned', exitCode: null, phase: null, phases: [],
    startedAt: null, stoppedAt: null, machine: null, log: emptyLogTail, inputDrvs: info?.inputDrvs ?? null,
    outputs: info?.outputs ?? null, jobs: [], reason: null, confirmed: false, basis: null, owners: [], trace: null, frozenAt: null, frozenMs: 0,
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
  // drv.jobs (a few entries) says whether the job lists it already: never search job.drvs (O(N) per event).
  if (drv.jobs.includes(source)) return;
  d.derivations.set(drvPath, derivationWith(drv, { jobs: [...drv.jobs, source] }));
  const job = d.jobs.get(source);
  if (job) d.jobs.set(source, jobWith(job, { drvs: appendShared(job.drvs, drvPath) }));
}

/** Appends in place to an append-only array shared by successive versions of one job (see Job.plan). */
export function appendShared(list: readonly string[], item: string): readonly string[] {
  (list as string[]).push(item);
  return list;
}

/** Most entries a job's plan or fetch plan keeps (Nix's own plans are far smaller; a repeated or forged one is not). */
export const MAX_PLAN_ITEMS = 100_000;

// What each shared plan array holds, for an O(1) "planned already?": derived from the array (rebuilt from it when
// missing, e.g. for a state read from a snapshot), and keyed by it, so it lives exactly as long as the plan.
const planIndex = new WeakMap<readonly string[], Set<string>>();

/**
 * appendShared for a plan: an item already in it is not added again (a plan header repeated by Nix, or by any user
 * writing to the log socket, would grow the plan and its "planned" count without end), nor anything past
 * MAX_PLAN_ITEMS.
 */
export function appendSharedOnce(list: readonly string[], item: string): readonly string[] {
  let index = planIndex.get(list);
  if (!index) planIndex.set(list, (index = new Set(list)));
  if (index.has(item) || list.length >= MAX_PLAN_ITEMS) return list;
  index.add(item);
  return appendShared(list, item);
}

const RANK: Readonly<Record<OutcomeBasis, number>> = { inferred: 1, counters: 2, nix: 3, store: 4 };
const rank = (b: OutcomeBasis | null): number => (b === null ? 0 : RANK[b]);

export type OutcomeExtra = { basis?: OutcomeBasis; exitCode?: number | null; reason?: string | null };

/**
 * The outcome rules: an outcome is only overturned by one resting on as much or more (OutcomeBasis); Nix saying a
 * build failed beats even the store (a `--check` that found a difference leaves valid outputs behind); a finished
 * build does not go back to planned or waiting.
 */
export function setOutcome(d: Draft, drvPath: string, status: DerivationStatus, at: At, extra: OutcomeExtra = {}): void {
  const basis = extra.basis ?? 'inferred';
  updateDerivation(d, drvPath, (old) => {
    if (!mayBecome(old, status, basis)) return null;
    const keep = old.status === status && rank(old.basis) > rank(basis);
    const nextBasis = isFinished(status) ? (keep ? old.basis : basis) : null;
    const stoppedAt = isFinished(status) ? (old.stoppedAt ?? at) : null;
    // A stopped builder cannot end by itself: one that ends while marked frozen was thawed since the last scan (or
    // killed frozen), so it was frozen until about its end, not building (its duration leaves that out).
    const thawed = stoppedAt !== null && old.frozenAt !== null
      ? { frozenAt: null, frozenMs: old.frozenMs + Math.max(0, stoppedAt - old.frozenAt) } : {};
    return {
      status,
      stoppedAt,
      ...thawed,
      basis: nextBasis,
      confirmed: nextBasis === 'store',
      exitCode: extra.exitCode !== undefined ? extra.exitCode : old.status === status ? old.exitCode : null,
      reason: extra.reason !== undefined ? extra.reason : old.status === status ? old.reason : null,
    };
  });
}

function mayBecome(old: Derivation, next: DerivationStatus, basis: OutcomeBasis): boolean {
  if (next === 'planned') return false;
  if (next === 'waiting') return !isFinished(old.status) && old.status !== 'running';
  if (!isFinished(old.status)) return true;
  if (old.status === 'failed' && old.basis === 'nix') return next === 'failed';
  if (next === 'failed' && basis === 'nix') return true;
  return rank(basis) >= rank(old.basis);
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

/**
 * Forgets the oldest finished derivations of closed jobs, their finished transfers (as many kept as derivations),
 * and closed jobs, once past the limits (amortized: 10% at a time). Derivations a running job asked for are never
 * dropped: the user is watching them. Transfers were never forgotten: every substitution since the daemon started,
 * or any number of CopyPath starts a user forged, connection after connection, stayed in every snapshot.
 */
export function evict(d: Draft): void {
  const maxDrvs = d.limits.finishedDerivations;
  if (d.derivations.size > maxDrvs * 1.1) {
    let excess = d.derivations.size - maxDrvs;
    for (const [path, drv] of d.derivations) {
      if (excess <= 0) break;
      if (isFinished(drv.status) && !drv.jobs.some((s) => d.jobs.get(s)?.status === 'running')) {
        d.derivations.delete(path); d.drvInfo.delete(path); excess--;
      }
    }
  }
  if (d.transfers.size > maxDrvs * 1.1) {
    let excess = d.transfers.size - maxDrvs;
    for (const [key, t] of d.transfers) {
      if (excess <= 0) break;
      if (t.status !== 'running' && d.jobs.get(t.source)?.status !== 'running') { d.transfers.delete(key); excess--; }
    }
  }
  const maxJobs = d.limits.closedJobs;
  if (d.jobs.size > maxJobs * 1.1) {
    // The closed jobs beyond what is kept, the uids holding more than their share first (fair.ts).
    const running = d.jobs.size - [...d.jobs.values()].filter(isClosed).length;
    for (const job of fairDrops(d.jobs.values(), Math.max(0, maxJobs - running), (j) => j.info.uid, isClosed)) {
      d.jobs.delete(job.source); unlinkJob(d, job);
    }
  }
}

/**
 * The derivations of a forgotten job no longer name it. Kept, a derivation every connection planned named every job
 * there ever was (20,000 connections of one user planning root's build: 20,000 names, copied on every new link).
 */
function unlinkJob(d: Draft, job: Job): void {
  for (const path of job.drvs) {
    const drv = d.derivations.get(path);
    if (drv?.jobs.includes(job.source)) d.derivations.set(path, derivationWith(drv, { jobs: drv.jobs.filter((s) => s !== job.source) }));
  }
}

const isClosed = (job: Job): boolean => job.status !== 'running';

/** Replaces the job of `source` with `change(current)`, reading it afresh so earlier changes are kept. */
export function patchJob(d: Draft, source: SourceId, change: (job: Job) => Partial<Job>): void {
  const job = d.jobs.get(source);
  if (job) d.jobs.set(source, jobWith(job, change(job)));
}
