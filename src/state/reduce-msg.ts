// msg records and plain stderr text: errors and warnings, failures, cancelled dependents, the plan, interruptions.
import { derivationWith } from './entities.js';
import type { At } from './events.js';
import type { Job, Message, MessageSeverity } from './model.js';
import type { NixRecord } from './nix.js';
import { Verbosity } from './nix.js';
import { fairDrops } from './fair.js';
import type { Draft } from './derivations.js';
import { appendSharedOnce, getOrCreateDerivation, isFinished, linkJob, patchJob } from './derivations.js';
import { nameOutcome, onTrace } from './attribution.js';
import { mayDecide } from './ownership.js';
import { interpretMessage, severityOf } from './outcomes.js';
import { waitFromActivity } from './reduce-activity.js';
import { firstStorePath, sanitize, truncate } from './text.js';

type Msg = Extract<NixRecord, { kind: 'msg' }>;

export function onMsg(d: Draft, job: Job, rec: Msg, at: At): void {
  // Talkative and chattier messages Nix wrote itself are debug chatter (relayed ones all arrive at level 0).
  if (rec.level >= Verbosity.talkative && rec.rawMsg === undefined) return;
  onText(d, job, rec.msg, at, rec);
}

/** Shared by msg records and non-JSON stderr lines (which carry the same words, without position). */
export function onText(d: Draft, job: Job, text: string, at: At, rec?: Msg): void {
  const source = job.source;
  const severity = severityOf(text) ?? (rec?.rawMsg !== undefined ? 'error' : null);
  const meaning = interpretMessage(text);
  if (job.collecting && meaning.kind !== 'plan-item') patchJob(d, source, () => ({ collecting: null }));
  switch (meaning.kind) {
    case 'plan-header':
      patchJob(d, source, () => ({ collecting: meaning.what }));
      break;
    case 'plan-item':
      planItem(d, job, meaning.path);
      break;
    case 'build-failed':
      // Only the source that started the build (or, for one nobody started, its own job) may say it failed.
      if (!mayDecide(d, source, meaning.drvPath)) break;
      linkJob(d, meaning.drvPath, source);
      nameOutcome(d, source, meaning.drvPath, 'failed', at, { exitCode: meaning.exitCode, reason: meaning.reason });
      break;
    case 'dependencies-failed':
      if (!mayDecide(d, source, meaning.drvPath)) break;
      linkJob(d, meaning.drvPath, source);
      nameOutcome(d, source, meaning.drvPath, 'cancelled', at, { reason: meaning.reason });
      break;
    case 'trace':
      if (!mayDecide(d, source, meaning.drvPath)) break;
      if (meaning.step === 'created' || meaning.step === 'done') linkJob(d, meaning.drvPath, source);
      onTrace(d, source, meaning.drvPath, meaning.step, at);
      break;
    case 'interrupted':
      patchJob(d, source, () => ({ interrupted: true }));
      break;
    case 'worker-crashed':
      patchJob(d, source, () => ({ workerCrashed: true }));
      break;
    case 'cannot-build':
      patchJob(d, source, () => ({ cannotBuild: meaning.reason }));
      break;
    case 'waiting':
      waitFromActivity(d, job, meaning.text, at);
      break;
  }
  if (severity) addMessage(d, source, severity, text, at, rec);
}

function planItem(d: Draft, job: Job, path: string): void {
  if (job.collecting === 'fetch') {
    // Shared and appended to, as `plan`: a copy per item made "these 40000 paths will be fetched" cost the daemon
    // 20 s of its main thread (quadratic), from any user's 4 MB of lines.
    patchJob(d, job.source, (j) => ({ fetchPlan: appendSharedOnce(j.fetchPlan, path) }));
    return;
  }
  if (job.collecting !== 'plan' || !path.endsWith('.drv')) return;
  const drv = getOrCreateDerivation(d, path);
  // Nix plans only what is not in the store: a derivation finished earlier and planned again is being rebuilt.
  if (isFinished(drv.status) && mayDecide(d, job.source, path)) {
    d.derivations.set(path, derivationWith(drv, {
      status: 'planned', stoppedAt: null, confirmed: false, basis: null, exitCode: null, reason: null, owners: [],
    }));
  }
  linkJob(d, path, job.source);
  patchJob(d, job.source, (j) => ({ plan: appendSharedOnce(j.plan, path) }));
}

function addMessage(d: Draft, source: string, severity: MessageSeverity, text: string, at: At, rec?: Msg): void {
  const path = firstStorePath(text);
  const message: Message = {
    // Kept multi-line (the UI and outcomes split it), every other control character shown as a space.
    severity, source, at, text: sanitize(truncate(text, d.limits.lineChars), true),
    file: rec?.file ?? null, line: rec?.line ?? null, column: rec?.column ?? null,
    drvPath: path?.endsWith('.drv') ? path : null,
  };
  d.messages.push(message);
  // Past the limit by a tenth, the oldest go, the uids holding more than their share first (fair.ts): one user's
  // flood of errors does not push out every other user's.
  if (d.messages.length > d.limits.messages * 1.1) {
    const drops = fairDrops(d.messages, d.limits.messages, (m) => d.jobs.get(m.source)?.info.uid ?? null);
    const kept = d.messages.filter((m) => !drops.has(m));
    d.messagesDropped += d.messages.length - kept.length;
    d.messages.length = 0;
    d.messages.push(...kept);
  }
  patchJob(d, source, (j) => (severity === 'error' ? { errorCount: j.errorCount + 1 } : { warningCount: j.warningCount + 1 }));
}
