// start / stop / result records: activities, builds, transfers, phases, log lines and the Builds counters.
import { jobWith, transferWith } from './entities.js';
import type { At, SourceId } from './events.js';
import type { Activity, Job, Transfer, TransferKind } from './model.js';
import type { NixRecord } from './nix.js';
import { ActivityType, ResultType, isKnownActivityType, isKnownResultType } from './nix.js';
import type { Draft } from './derivations.js';
import { appendLogLine, linkJob, setOutcome, setPhase, updateDerivation } from './derivations.js';
import { stripAnsi } from './text.js';

type Start = Extract<NixRecord, { kind: 'start' }>;
type Result = Extract<NixRecord, { kind: 'result' }>;

export const KILLED = 'killed: another build failed';

export const activityKey = (source: SourceId, id: string): string => `${source}\u0000${id}`;

const TRANSFER_KINDS: ReadonlyMap<number, TransferKind> = new Map([
  [ActivityType.FileTransfer, 'download'],
  [ActivityType.CopyPath, 'copy'],
  [ActivityType.Substitute, 'substitute'],
]);

export function onStart(d: Draft, job: Job, rec: Start, at: At): void {
  if (!isKnownActivityType(rec.type)) d.unknownRecords++;
  const first = rec.fields[0];
  const drvPath = rec.type === ActivityType.Build && typeof first === 'string' ? first : null;
  const kind = TRANSFER_KINDS.get(rec.type);
  const transferKey = kind && typeof first === 'string' ? activityKey(job.source, rec.id) : null;
  const activity: Activity = { source: job.source, id: rec.id, type: rec.type, text: rec.text, fields: rec.fields, drvPath, transferKey };
  let open = d.activities.get(job.source);
  if (!open) d.activities.set(job.source, (open = new Map()));
  open.set(rec.id, activity);
  d.jobs.set(job.source, jobWith(job, { openActivities: job.openActivities + 1 }));
  if (drvPath) startBuild(d, job.source, drvPath, rec, at);
  if (kind && transferKey && typeof first === 'string') {
    const from = typeof rec.fields[1] === 'string' && rec.fields[1] !== '' ? rec.fields[1] : null;
    const transfer: Transfer = { key: transferKey, kind, what: first, from, doneBytes: 0, expectedBytes: 0,
      startedAt: at, stoppedAt: null, source: job.source, status: 'running' };
    d.transfers.set(transferKey, transfer);
  }
  if (rec.type === ActivityType.BuildWaiting) waitFromActivity(d, job, rec.text, at);
}

function startBuild(d: Draft, source: SourceId, drvPath: string, rec: Start, at: At): void {
  linkJob(d, drvPath, source);
  const machine = typeof rec.fields[1] === 'string' ? rec.fields[1] : '';
  updateDerivation(d, drvPath, (old) => {
    // A second connection relaying the same build (client and daemon worker) must not restart it.
    if (old.status === 'running') return old.machine === null ? { machine } : null;
    return { status: 'running', startedAt: at, stoppedAt: null, machine, exitCode: null, reason: null, confirmed: false };
  });
}

/** BuildWaiting (111): "waiting for lock on ...", a machine or a build user; tie it to a planned derivation by path. */
export function waitFromActivity(d: Draft, job: Job, text: string, at: At): void {
  const clean = stripAnsi(text);
  const path = /'(\/[^']+)'/.exec(clean)?.[1] ?? null;
  const drvPath = path ? drvForPath(d, job, path) : null;
  if (drvPath) {
    linkJob(d, drvPath, job.source);
    setOutcome(d, drvPath, 'waiting', at, { reason: clean });
  }
}

/** A .drv path itself, or the derivation in this job whose output (or name) the path is. */
export function drvForPath(d: Draft, job: Job, path: string): string | null {
  const stripped = path.replace(/\.lock$/, '');
  if (stripped.endsWith('.drv')) return stripped;
  for (const drvPath of [...job.plan, ...job.drvs]) {
    const drv = d.derivations.get(drvPath);
    if (drv?.outputs && Object.values(drv.outputs).includes(stripped)) return drvPath;
  }
  const name = stripped.slice(stripped.lastIndexOf('/') + 34);
  return job.plan.find((p) => p.endsWith(`-${name}.drv`)) ?? null;
}

export function onStop(d: Draft, job: Job, id: string, at: At): void {
  const open = d.activities.get(job.source);
  const activity = open?.get(id);
  if (!open || !activity) return;
  open.delete(id);
  let next: Job = jobWith(job, { openActivities: Math.max(0, job.openActivities - 1) });
  if (activity.drvPath) next = stopBuild(d, next, activity.drvPath, at);
  if (activity.transferKey) {
    const t = d.transfers.get(activity.transferKey);
    if (t) d.transfers.set(t.key, transferWith(t, { status: 'done', stoppedAt: at }));
  }
  d.jobs.set(job.source, next);
}

/**
 * A plain stop ends a built, a failed and a killed build alike. Nix bumps the Builds counters
 * (done or failed) before the stop of a build that finished; a killed build moves neither.
 */
function stopBuild(d: Draft, job: Job, drvPath: string, at: At): Job {
  const { progress, attributed } = job;
  if (progress.done > attributed.done) {
    setOutcome(d, drvPath, 'built', at, { confirmed: true });
    return jobWith(job, { attributed: { done: attributed.done + 1, failed: attributed.failed } });
  }
  if (progress.failed > attributed.failed) {
    setOutcome(d, drvPath, 'failed', at, { confirmed: true });
    return jobWith(job, { attributed: { done: attributed.done, failed: attributed.failed + 1 } });
  }
  if (progress.expected === 0) setOutcome(d, drvPath, 'built', at);
  else setOutcome(d, drvPath, 'cancelled', at, { reason: KILLED });
  return job;
}

export function onResult(d: Draft, job: Job, rec: Result): void {
  if (!isKnownResultType(rec.type)) d.unknownRecords++;
  const activity = d.activities.get(job.source)?.get(rec.id);
  if (!activity) return;
  const f0 = rec.fields[0];
  switch (rec.type) {
    case ResultType.BuildLogLine:
    case ResultType.PostBuildLogLine:
      if (activity.drvPath && typeof f0 === 'string') appendLogLine(d, activity.drvPath, stripAnsi(f0));
      return;
    case ResultType.SetPhase:
      if (activity.drvPath && typeof f0 === 'string') setPhase(d, activity.drvPath, f0);
      return;
    case ResultType.Progress:
      onProgress(d, job, activity, rec.fields);
      return;
  }
}

function onProgress(d: Draft, job: Job, activity: Activity, fields: readonly unknown[]): void {
  const num = (i: number): number => { const f = fields[i]; return typeof f === 'number' ? f : 0; };
  const done = num(0), expected = num(1), running = num(2), failed = num(3);
  if (activity.type === ActivityType.Builds) {
    const p = job.progress;
    // Nix repeats unchanged counters often: keep the entity (and the views' memo) when nothing moved.
    if (p.done === done && p.expected === expected && p.running === running && p.failed === failed) return;
    d.jobs.set(job.source, jobWith(job, { progress: { done, expected, running, failed } }));
  } else if (activity.transferKey) {
    const t = d.transfers.get(activity.transferKey);
    if (t && (t.doneBytes !== done || t.expectedBytes !== expected)) d.transfers.set(t.key, transferWith(t, { doneBytes: done, expectedBytes: expected }));
  }
}
