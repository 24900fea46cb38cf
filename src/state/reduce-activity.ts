// start / stop / result records: activities, builds, transfers, phases, log lines and the Builds counters.
import { jobWith, transferWith } from './entities.js';
import type { At, SourceId } from './events.js';
import type { Activity, BuildsTotal, Job, Transfer, TransferKind } from './model.js';
import type { NixRecord } from './nix.js';
import { ActivityType, ResultType, isKnownActivityType, isKnownResultType } from './nix.js';
import type { Draft } from './derivations.js';
import { appendLogLine, getOrCreateDerivation, linkJob, setOutcome, setPhase, updateDerivation } from './derivations.js';
import { buildStopped, settle } from './attribution.js';
import { onBuildResult } from './build-result.js';
import { claim, mayDecide, mayTouchUnstarted } from './ownership.js';
import { stripAnsi } from './text.js';

type Start = Extract<NixRecord, { kind: 'start' }>;
type Result = Extract<NixRecord, { kind: 'result' }>;

export { KILLED } from './attribution.js';

export const activityKey = (source: SourceId, id: string): string => `${source}\u0000${id}`;

const TRANSFER_KINDS: ReadonlyMap<number, TransferKind> = new Map([
  [ActivityType.FileTransfer, 'download'],
  [ActivityType.CopyPath, 'copy'],
  [ActivityType.Substitute, 'substitute'],
]);

export function onStart(d: Draft, job: Job, rec: Start, at: At): void {
  if (!isKnownActivityType(rec.type)) d.unknownRecords++;
  const first = rec.fields[0];
  const claimed = rec.type === ActivityType.Build && typeof first === 'string' ? first : null;
  const relay = claimed !== null ? buildingHere(d, job.source, claimed) : rec.type === ActivityType.Builds && offloadingNg(d, job);
  // A refused claim keeps the activity (its stop must match) but ties it to nothing.
  const drvPath = claimed !== null && startBuild(d, job.source, claimed, rec, at) ? claimed : null;
  const kind = TRANSFER_KINDS.get(rec.type);
  const transferKey = kind && typeof first === 'string' ? transferKeyFor(d, job.source, kind, first, rec.id) : null;
  const activity: Activity = { source: job.source, id: rec.id, type: rec.type, text: rec.text, fields: rec.fields, drvPath, transferKey,
    ...(relay ? { relay: true as const } : {}) };
  let open = d.activities.get(job.source);
  if (!open) d.activities.set(job.source, (open = new Map()));
  open.set(rec.id, activity);
  const current = d.jobs.get(job.source) ?? job;
  d.jobs.set(job.source, jobWith(current, { openActivities: current.openActivities + 1, realising: current.realising || rec.type === ActivityType.Builds }));
  if (kind && transferKey && typeof first === 'string' && !d.transfers.has(transferKey)) {
    const from = typeof rec.fields[1] === 'string' && rec.fields[1] !== '' ? rec.fields[1] : null;
    const transfer: Transfer = { key: transferKey, kind, what: first, from, doneBytes: 0, expectedBytes: 0,
      startedAt: at, stoppedAt: null, source: job.source, status: 'running' };
    d.transfers.set(transferKey, transfer);
  }
  if (rec.type === ActivityType.BuildWaiting) waitFromActivity(d, job, rec.text, at);
}

/**
 * One transfer per store path: a Substitute (108) and the CopyPath (100) inside it for the same path share the
 * substitute's entry, so the copy's byte progress lands on it.
 */
function transferKeyFor(d: Draft, source: SourceId, kind: TransferKind, what: string, id: string): string {
  if (kind === 'download') return activityKey(source, id);
  const key = activityKey(source, `path:${what}`);
  const existing = d.transfers.get(key);
  if (existing && existing.status !== 'running') d.transfers.delete(key);
  return key;
}

/**
 * This source's own Build activity for the drv is still open: a second one is the remote daemon's, relayed by ssh-ng
 * (real captures: tests/fixtures/machines/*\/ssh-ng*.jsonl).
 */
function buildingHere(d: Draft, source: SourceId, drvPath: string): boolean {
  const drv = d.derivations.get(drvPath);
  return drv !== undefined && drv.status === 'running' && drv.owners.includes(source);
}

/**
 * A Builds activity opened while this job has a build running on an ssh-ng machine is that machine's daemon's,
 * relayed. Builds activities are opened about once per job: a look at the job's latest derivations is cheap.
 */
function offloadingNg(d: Draft, job: Job): boolean {
  if (!job.realising || job.progress.running === 0) return false;
  for (let i = job.drvs.length - 1, n = 0; i >= 0 && n < LOOKBACK; i--, n++) {
    const drv = d.derivations.get(job.drvs[i]!);
    if (drv?.status === 'running' && drv.machine?.startsWith('ssh-ng://')) return true;
  }
  return false;
}

/** Returns false when the claim is refused (see ownership.ts). */
function startBuild(d: Draft, source: SourceId, drvPath: string, rec: Start, at: At): boolean {
  const owners = claim(d, source, getOrCreateDerivation(d, drvPath));
  if (owners === null) return false;
  linkJob(d, drvPath, source);
  const machine = typeof rec.fields[1] === 'string' ? rec.fields[1] : '';
  updateDerivation(d, drvPath, (old) => {
    // A second connection relaying the same build (client and daemon worker) must not restart it.
    if (old.status === 'running') return old.machine === null ? { machine, owners } : { owners };
    return { status: 'running', startedAt: at, stoppedAt: null, machine, exitCode: null, reason: null, confirmed: false,
      basis: null, owners, trace: old.trace, frozenAt: null, frozenMs: 0 };
  });
  return true;
}

/** BuildWaiting (111): "waiting for lock on ...", a machine or a build user; tie it to a planned derivation by path. */
export function waitFromActivity(d: Draft, job: Job, text: string, at: At): void {
  const clean = stripAnsi(text);
  const path = /'(\/[^']+)'/.exec(clean)?.[1] ?? null;
  const drvPath = path ? drvForPath(d, job, path) : null;
  if (drvPath && mayTouchUnstarted(d, job.source, d.derivations.get(drvPath))) {
    linkJob(d, drvPath, job.source);
    setOutcome(d, drvPath, 'waiting', at, { reason: clean });
  }
}

/**
 * A .drv path itself, or the derivation of this job whose output (or name) the path is. Looks only at the last
 * few derivations of the job: a waiting lock is on something Nix just reached, and a scan of the whole plan per
 * message would make big plans quadratic.
 */
export function drvForPath(d: Draft, job: Job, path: string): string | null {
  const stripped = path.replace(/\.lock$/, '');
  if (stripped.endsWith('.drv')) return stripped;
  const name = stripped.slice(stripped.lastIndexOf('/') + 34);
  let byName: string | null = null;
  for (const list of [job.drvs, job.plan]) {
    for (let i = list.length - 1, n = 0; i >= 0 && n < LOOKBACK; i--, n++) {
      const drvPath = list[i]!;
      const drv = d.derivations.get(drvPath);
      if (drv?.outputs && Object.values(drv.outputs).includes(stripped)) return drvPath;
      if (byName === null && drvPath.endsWith(`-${name}.drv`)) byName = drvPath;
    }
  }
  return byName;
}

const LOOKBACK = 256;

export function onStop(d: Draft, job: Job, id: string, at: At): void {
  const open = d.activities.get(job.source);
  const activity = open?.get(id);
  if (!open || !activity) return;
  open.delete(id);
  d.jobs.set(job.source, jobWith(job, { openActivities: Math.max(0, job.openActivities - 1) }));
  // A relayed Build's stop is the remote daemon's end of it: the build ends for this job when its own activity stops.
  if (activity.drvPath && !activity.relay && mayDecide(d, job.source, activity.drvPath)) buildStopped(d, job.source, activity.drvPath, at);
  if (activity.transferKey) {
    const t = d.transfers.get(activity.transferKey);
    // The copy inside a substitution stops first: the substitution's own stop ends the shared entry.
    if (t && t.status === 'running' && (t.kind !== 'substitute' || activity.type === ActivityType.Substitute)) {
      d.transfers.set(t.key, transferWith(t, { status: 'done', stoppedAt: at }));
    }
  }
}

export function onResult(d: Draft, job: Job, rec: Result): void {
  if (!isKnownResultType(rec.type)) d.unknownRecords++;
  const activity = d.activities.get(job.source)?.get(rec.id);
  if (!activity) return;
  const f0 = rec.fields[0];
  // A build another source took over (root joined it) takes no more lines or phases from this one.
  if (activity.drvPath && rec.type !== ResultType.Progress && !mayDecide(d, job.source, activity.drvPath)) return;
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
    case ResultType.BuildResult:
      onBuildResult(d, job.source, activity.drvPath, rec.payload, null);
      return;
  }
}

/** The Builds counters' total with this activity's outstanding count in (a new Builds activity adds its own). */
function totalWith(t: BuildsTotal, activity: string, outstanding: number): BuildsTotal {
  if (t.activity !== activity) return { activity, peak: Math.max(0, outstanding), before: t.before + t.peak };
  return outstanding > t.peak ? { activity, peak: outstanding, before: t.before } : t;
}

function onProgress(d: Draft, job: Job, activity: Activity, fields: readonly unknown[]): void {
  const num = (i: number): number => { const f = fields[i]; return typeof f === 'number' ? f : 0; };
  const done = num(0), expected = num(1), running = num(2), failed = num(3);
  if (activity.type === ActivityType.Builds && !activity.relay) {
    const p = job.progress;
    // Nix repeats unchanged counters often: keep the entity (and the views' memo) when nothing moved.
    if (p.done === done && p.expected === expected && p.running === running && p.failed === failed) return;
    d.jobs.set(job.source, jobWith(job, { progress: { done, expected, running, failed }, buildsTotal: totalWith(job.buildsTotal, activity.id, expected - done) }));
    if (job.undecided.length > 0) settle(d, job.source, null, false);
  } else if (activity.transferKey) {
    const t = d.transfers.get(activity.transferKey);
    if (t && (t.doneBytes !== done || t.expectedBytes !== expected)) d.transfers.set(t.key, transferWith(t, { doneBytes: done, expectedBytes: expected }));
  }
}
