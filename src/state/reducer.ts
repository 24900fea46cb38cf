// The one reducer, run by the daemon and by every client: (state, event) -> state. No I/O, no clock: time comes in
// with the events. It updates the state's maps in place (O(1) per event) and replaces the entities it changes, so the
// state passed in must not be used after the call; views memoize on entity identity.
import { jobWith, transferWith } from './entities.js';
import type { BtmEvent, SourceId, SourceInfo } from './events.js';
import type { Job, Limits, State } from './model.js';
import { defaultLimits } from './model.js';
import type { Draft } from './derivations.js';
import { evict, isFinished, isSuccess, linkJob, setOutcome, updateDerivation } from './derivations.js';
import { KILLED, settle } from './attribution.js';
import { onResult, onStart, onStop } from './reduce-activity.js';
import { onMsg, onText } from './reduce-msg.js';
import { mayDecide } from './ownership.js';
import { onBuilders } from './builders.js';
import { initialFields } from './fields.js';

export function initialState(limits: Limits = defaultLimits): State {
  return { limits, ...initialFields() };
}

const NO_BUILDS = { activity: null, peak: 0, before: 0 } as const;

const UNKNOWN_SOURCE: SourceInfo = { via: 'socket', pid: null, uid: null, user: null, command: '' };

export function newJob(source: SourceId, info: SourceInfo, at: number | null): Job {
  return {
    source, info, status: 'running', openedAt: at, closedAt: null, exitCode: null, plan: [], fetchPlan: [], drvs: [],
    progress: { done: 0, expected: 0, running: 0, failed: 0 }, buildsTotal: NO_BUILDS, attributed: { done: 0, failed: 0 },
    named: { done: 0, failed: 0 }, undecided: [], realising: false, workerCrashed: false, cannotBuild: null,
    openActivities: 0, errorCount: 0, warningCount: 0, collecting: null, interrupted: false,
  };
}

export function reduce(state: State, event: BtmEvent): State {
  const d = nextDraft(state, event.at);
  switch (event.kind) {
    case 'source-open':
      d.jobs.set(event.source, newJob(event.source, event.info, event.at));
      break;
    case 'nix':
      onNix(d, jobFor(d, event.source, event.at), event);
      break;
    case 'source-close':
      closeSource(d, event.source, event.exitCode, event.reason, event.at);
      evict(d);
      break;
    case 'drv-info':
      d.drvInfo.set(event.info.drvPath, event.info);
      if (d.derivations.has(event.info.drvPath)) {
        updateDerivation(d, event.info.drvPath, () => ({ name: event.info.name, inputDrvs: event.info.inputDrvs, outputs: event.info.outputs }));
      }
      break;
    case 'outputs-valid':
      outputsChecked(d, event.drvPath, event.valid, event.at);
      break;
    case 'local-build':
      onLocalBuild(d, event);
      break;
    case 'proc-scan':
      onBuilders(d, event.processes, event.at);
      d.processes = event.processes;
      d.host = event.host ?? d.host;
      d.scannedAt = event.at;
      break;
  }
  return d;
}

// An explicit literal, not a spread: this runs once per event, and V8 builds a literal of one shape in ~40 ns where
// `{ ...s, eventCount, now }` takes ~1 us (measured, Node 20). The fields are fields.ts's: the type Draft makes a
// field added there and missing here a compile error, and tests/state/fields.test.ts checks each one is carried.
function nextDraft(s: State, at: number | null): Draft {
  return {
    limits: s.limits, eventCount: s.eventCount + 1, now: at ?? s.now, jobs: s.jobs, activities: s.activities,
    derivations: s.derivations, transfers: s.transfers, messages: s.messages, messagesDropped: s.messagesDropped,
    decodeErrors: s.decodeErrors, unknownRecords: s.unknownRecords, drvInfo: s.drvInfo, processes: s.processes,
    host: s.host, scannedAt: s.scannedAt,
  };
}

/** A build seen only in /proc: the daemon tells running, then the store's outcome; a streamed one is left alone. */
function onLocalBuild(d: Draft, e: Extract<BtmEvent, { kind: 'local-build' }>): void {
  linkJob(d, e.drvPath, e.source);
  if (e.status !== 'running') {
    // The store said whether its outputs exist: that overrules the scan's "builder gone" (interrupted, even once the
    // outputs check agreed it was not built), as the README promises (failed, as Nix calls a killed builder too).
    setOutcome(d, e.drvPath, e.status, e.at, { basis: 'store', reason: e.reason });
    return;
  }
  updateDerivation(d, e.drvPath, (old) => (old.status === 'running' ? null
    : { status: 'running', startedAt: e.at, stoppedAt: null, machine: '', exitCode: null, reason: null, confirmed: false, frozenAt: null, frozenMs: 0 }));
}

function jobFor(d: Draft, source: SourceId, at: number | null): Job {
  const existing = d.jobs.get(source);
  if (existing) return existing;
  const job = newJob(source, UNKNOWN_SOURCE, at);
  d.jobs.set(source, job);
  return job;
}

function onNix(d: Draft, job: Job, event: Extract<BtmEvent, { kind: 'nix' }>): void {
  const rec = event.record;
  switch (rec.kind) {
    case 'start': return onStart(d, job, rec, event.at);
    case 'stop': return onStop(d, job, rec.id, event.at);
    case 'result': return onResult(d, job, rec);
    case 'msg': return onMsg(d, job, rec, event.at);
    case 'text': return onText(d, job, rec.text, event.at);
    case 'invalid': d.decodeErrors++; return;
  }
}

/** The store's answer: outputs valid confirm a success; missing outputs refute one that was only inferred. */
function outputsChecked(d: Draft, drvPath: string, valid: boolean, at: number | null): void {
  const drv = d.derivations.get(drvPath);
  if (!drv) return;
  if (valid) setOutcome(d, drvPath, isSuccess(drv.status) ? drv.status : 'built', at, { basis: 'store' });
  else if (isSuccess(drv.status) && drv.basis !== 'nix') setOutcome(d, drvPath, 'cancelled', at, { basis: 'store', reason: 'not built: its outputs are not in the store' });
  // Not built, as the log said: the store agrees (it cannot tell failed from cancelled, so Nix's words stay).
  else if (isFinished(drv.status) && !isSuccess(drv.status)) {
    if (drv.basis === 'nix') updateDerivation(d, drvPath, () => ({ confirmed: true }));
    else setOutcome(d, drvPath, drv.status, at, { basis: 'store' });
  }
}

/**
 * The end of a source settles what it left open: builds it still ran are interrupted (unless another of their
 * owners still runs them), stops the counters could not tell apart get the likelier outcome, planned ones never
 * started are cancelled (after a failure), interrupted, or stay planned when nothing was realised (--dry-run).
 */
function closeSource(d: Draft, source: SourceId, exitCode: number | null, reason: 'eof' | 'vanished' | 'error', at: number | null): void {
  const job = d.jobs.get(source);
  if (!job || job.status !== 'running') return;
  const running = new Set<string>();
  let leftOpen = 0;
  for (const activity of d.activities.get(source)?.values() ?? []) {
    leftOpen++;
    if (activity.drvPath) running.add(activity.drvPath);
    const t = activity.transferKey ? d.transfers.get(activity.transferKey) : undefined;
    if (t && t.status === 'running') d.transfers.set(t.key, transferWith(t, { status: 'interrupted', stoppedAt: at }));
  }
  d.activities.delete(source);
  settle(d, source, at, true);
  const current = d.jobs.get(source) ?? job;
  // Nix stops every activity on an orderly exit: any left open means the client was cut short.
  const cutShort = current.interrupted || current.workerCrashed || leftOpen > 0 || reason !== 'eof';
  const why = current.workerCrashed ? 'the daemon worker died (unexpected end-of-file)'
    : current.interrupted ? 'the client was interrupted' : 'the client went away';
  for (const drvPath of running) {
    if (mayDecide(d, source, drvPath) && !runElsewhere(d, source, drvPath)) setOutcome(d, drvPath, 'interrupted', at, { reason: why });
  }
  const failed = exitCode !== null ? exitCode !== 0 : failedFromLog(d, current);
  const status = current.info.via === 'local' ? localOutcome(d, current) : cutShort ? 'interrupted' : failed ? 'failed' : 'succeeded';
  d.jobs.set(source, jobWith(current, { status, closedAt: at, exitCode, openActivities: 0, collecting: null }));
  if (status === 'interrupted') reclassifyKilled(d, current, at);
  settleUnstarted(d, current, status, at, why);
}

/**
 * A job made from /proc (the daemon's local-builds.ts) has no log and no exit code: its builds say how it went.
 * Succeeded only when every one of them built; failed when one failed; otherwise (one ended without its outputs,
 * failed or killed) interrupted: never a success nothing shows.
 */
function localOutcome(d: Draft, job: Job): Job['status'] {
  let built = 0, failed = 0, other = 0;
  for (const p of job.drvs) {
    const status = d.derivations.get(p)?.status;
    if (status === 'failed') failed++;
    else if (status !== undefined && isSuccess(status)) built++;
    else other++;
  }
  return failed > 0 ? 'failed' : other > 0 || built === 0 ? 'interrupted' : 'succeeded';
}

/**
 * Without an exit code (a replayed or socket log): a build failed, Nix could not build, or errors with nothing
 * realised. Errors Nix went on after (a missing NAR before --fallback built it) do not fail a job that succeeded.
 */
function failedFromLog(d: Draft, job: Job): boolean {
  // Nix's own count for this job: its Builds activity's failed counter (a build another source owns counts too).
  if (job.cannotBuild !== null || job.progress.failed > 0) return true;
  let succeeded = false;
  for (const p of job.drvs) {
    const status = d.derivations.get(p)?.status;
    if (status === 'failed') return true;
    if (status !== undefined && isSuccess(status)) succeeded = true;
  }
  return job.errorCount > 0 && !succeeded;
}

/** Another owner of the build, still connected, runs it on (a client and its daemon worker both stream it). */
function runElsewhere(d: Draft, source: SourceId, drvPath: string): boolean {
  const owners = d.derivations.get(drvPath)?.owners ?? [];
  return owners.some((s) => s !== source && d.jobs.get(s)?.status === 'running');
}

/** Single-user Nix stops its running builds before saying "interrupted by the user": they were not killed by a failure. */
function reclassifyKilled(d: Draft, job: Job, at: number | null): void {
  if (job.drvs.some((p) => d.derivations.get(p)?.status === 'failed')) return;
  for (const drvPath of job.drvs) {
    const drv = d.derivations.get(drvPath);
    if (drv?.status === 'cancelled' && drv.basis === 'inferred' && drv.reason === KILLED) {
      setOutcome(d, drvPath, 'interrupted', at, { reason: 'the client was interrupted' });
    }
  }
}

function settleUnstarted(d: Draft, job: Job, status: Job['status'], at: number | null, why: string): void {
  for (const drvPath of job.drvs) {
    const drv = d.derivations.get(drvPath);
    if (!drv || isFinished(drv.status) || drv.status === 'running' || !mayDecide(d, job.source, drvPath)) continue;
    if (drv.jobs.some((s) => s !== job.source && d.jobs.get(s)?.status === 'running')) continue;
    if (job.cannotBuild !== null) updateDerivation(d, drvPath, () => ({ reason: `not built: ${job.cannotBuild}` }));
    else if (!job.realising) updateDerivation(d, drvPath, () => ({ reason: 'not built: nothing was realised (--dry-run)' }));
    else if (status === 'succeeded') setOutcome(d, drvPath, 'built', at, { reason: 'realised by a job that succeeded' });
    else if (status === 'failed') setOutcome(d, drvPath, 'cancelled', at, { reason: 'never started: the job failed' });
    else setOutcome(d, drvPath, 'interrupted', at, { reason: `never started: ${why}` });
  }
}
