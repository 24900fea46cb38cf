// The one reducer, run by the daemon and by every client: (state, event) -> state. No I/O, no clock: time comes in
// with the events. It updates the state's maps in place (O(1) per event) and replaces the entities it changes, so the
// state passed in must not be used after the call; views memoize on entity identity.
import { jobWith, transferWith } from './entities.js';
import type { BtmEvent, SourceId, SourceInfo } from './events.js';
import type { Job, Limits, State } from './model.js';
import { defaultLimits } from './model.js';
import type { Draft } from './derivations.js';
import { evict, isFinished, linkJob, setOutcome, updateDerivation } from './derivations.js';
import { KILLED, onResult, onStart, onStop } from './reduce-activity.js';
import { onMsg, onText } from './reduce-msg.js';

export function initialState(limits: Limits = defaultLimits): State {
  return {
    limits, eventCount: 0, now: null, jobs: new Map(), activities: new Map(), derivations: new Map(), transfers: new Map(),
    messages: [], messagesDropped: 0, decodeErrors: 0, unknownRecords: 0, drvInfo: new Map(), processes: [], host: null,
    scannedAt: null,
  };
}

const UNKNOWN_SOURCE: SourceInfo = { via: 'socket', pid: null, uid: null, user: null, command: '' };

export function newJob(source: SourceId, info: SourceInfo, at: number | null): Job {
  return {
    source, info, status: 'running', openedAt: at, closedAt: null, exitCode: null, plan: [], fetchPlan: [], drvs: [],
    progress: { done: 0, expected: 0, running: 0, failed: 0 }, attributed: { done: 0, failed: 0 }, openActivities: 0,
    errorCount: 0, warningCount: 0, collecting: null, interrupted: false,
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
      if (event.valid) setOutcome(d, event.drvPath, 'built', event.at, { confirmed: true });
      break;
    case 'local-build':
      onLocalBuild(d, event);
      break;
    case 'proc-scan':
      d.processes = event.processes;
      d.host = event.host ?? d.host;
      d.scannedAt = event.at;
      break;
  }
  return d;
}

// An explicit literal, not a spread: this runs once per event and V8 keeps one shape for it.
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
    setOutcome(d, e.drvPath, e.status, e.at, { confirmed: e.status === 'built', reason: e.reason });
    return;
  }
  updateDerivation(d, e.drvPath, (old) => (old.status === 'running' ? null
    : { status: 'running', startedAt: e.at, stoppedAt: null, machine: '', exitCode: null, reason: null, confirmed: false }));
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

/**
 * The end of a source settles what it left open: builds still running are interrupted (unless another open
 * source still runs them), planned ones never started are cancelled (after a failure) or interrupted.
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
    if (t) d.transfers.set(t.key, transferWith(t, { status: 'interrupted', stoppedAt: at }));
  }
  const stillRunElsewhere = new Set<string>();
  d.activities.delete(source);
  for (const open of d.activities.values()) for (const a of open.values()) if (a.drvPath) stillRunElsewhere.add(a.drvPath);
  // Nix stops every activity on an orderly exit: any left open means the client was cut short.
  const cutShort = job.interrupted || leftOpen > 0 || reason !== 'eof';
  for (const drvPath of running) {
    if (!stillRunElsewhere.has(drvPath)) setOutcome(d, drvPath, 'interrupted', at, { reason: 'the client went away' });
  }
  const failed = exitCode !== null ? exitCode !== 0 : job.errorCount > 0 || job.drvs.some((p) => d.derivations.get(p)?.status === 'failed');
  const status = cutShort ? 'interrupted' : failed ? 'failed' : 'succeeded';
  if (status === 'interrupted') reclassifyKilled(d, job, at);
  settleUnstarted(d, job, status, at, stillRunElsewhere);
  d.jobs.set(source, jobWith(d.jobs.get(source) ?? job, { status, closedAt: at, exitCode, openActivities: 0, collecting: null }));
}

/** Single-user Nix stops its running builds before saying "interrupted by the user": they were not killed by a failure. */
function reclassifyKilled(d: Draft, job: Job, at: number | null): void {
  const current = d.jobs.get(job.source) ?? job;
  if (current.drvs.some((p) => d.derivations.get(p)?.status === 'failed')) return;
  for (const drvPath of current.drvs) {
    const drv = d.derivations.get(drvPath);
    if (drv?.status === 'cancelled' && !drv.confirmed && drv.reason === KILLED) {
      setOutcome(d, drvPath, 'interrupted', at, { reason: 'the client was interrupted' });
    }
  }
}

function settleUnstarted(d: Draft, job: Job, status: Job['status'], at: number | null, busy: ReadonlySet<string>): void {
  const current = d.jobs.get(job.source) ?? job;
  for (const drvPath of current.drvs) {
    const drv = d.derivations.get(drvPath);
    if (!drv || isFinished(drv.status) || drv.status === 'running' || busy.has(drvPath)) continue;
    if (status === 'succeeded') setOutcome(d, drvPath, 'built', at, { reason: 'realised by a job that succeeded' });
    else if (status === 'failed') setOutcome(d, drvPath, 'cancelled', at, { reason: 'never started: the job failed' });
    else setOutcome(d, drvPath, 'interrupted', at, { reason: 'never started: the client went away' });
  }
}
