// The JSON document of `replay --json` and `status --json`: a stable, deterministic view of the state.
import type { Derivation, Job, Message, State, Transfer } from './model.js';
import { logLines } from './log-tail.js';
import type { JobCounts } from './selectors.js';
import { durationMs, jobCounts } from './selectors.js';

export type DerivationReport = {
  drvPath: string; name: string; status: Derivation['status']; exitCode: number | null; durationMs: number | null;
  phase: string | null; phases: readonly string[]; machine: string | null; reason: string | null;
  /** Confirmed from the store (its outputs checked), as opposed to inferred from the log. */
  confirmed: boolean; basis: Derivation['basis'];
  /** Its builder is stopped (SIGSTOP) since then, ms since the epoch; the clock (durationMs) stands still. */
  frozenAt: number | null;
  /** When it started (ms since the epoch; null in a replay), and how long it was frozen before (not in durationMs). */
  startedAt: number | null; frozenMs: number;
  jobs: readonly string[]; logTail: readonly string[]; inputDrvs: readonly string[] | null;
};

export type StateReport = {
  derivations: DerivationReport[];
  errors: MessageReport[];
  warnings: MessageReport[];
  jobs: JobReport[];
  transfers: TransferReport[];
  decodeErrors: number;
  unknownRecords: number;
  messagesDropped: number;
};

export type MessageReport = Omit<Message, 'severity'>;
export type JobReport = {
  source: string; via: string; pid: number | null; uid: number | null; user: string | null; command: string;
  status: Job['status']; exitCode: number | null; plan: readonly string[]; progress: Job['progress'];
  /** When the job opened and closed (ms since the epoch; null in a replay of a saved log). */
  openedAt: number | null; closedAt: number | null;
  /** Against the plan: built / failed / cancelled / remaining of `planned` (see selectors.jobCounts). */
  counts: JobCounts;
  errorCount: number; warningCount: number; cannotBuild: string | null; workerCrashed: boolean;
};
export type TransferReport = Pick<Transfer, 'kind' | 'what' | 'from' | 'doneBytes' | 'expectedBytes' | 'status'>;

export function stateReport(state: State, opts: { logTail?: number } = {}): StateReport {
  const tail = opts.logTail ?? state.limits.logTail;
  return {
    derivations: [...state.derivations.values()].map((d) => derivationReport(d, tail)),
    errors: state.messages.filter((m) => m.severity === 'error').map(messageReport),
    warnings: state.messages.filter((m) => m.severity === 'warning').map(messageReport),
    jobs: [...state.jobs.values()].map((j) => jobReport(state, j)),
    transfers: [...state.transfers.values()].map(({ kind, what, from, doneBytes, expectedBytes, status }) =>
      ({ kind, what, from, doneBytes, expectedBytes, status })),
    decodeErrors: state.decodeErrors,
    unknownRecords: state.unknownRecords,
    messagesDropped: state.messagesDropped,
  };
}

function derivationReport(d: Derivation, tail: number): DerivationReport {
  return {
    drvPath: d.drvPath, name: d.name, status: d.status, exitCode: d.exitCode, durationMs: durationMs(d),
    phase: d.phase, phases: d.phases, machine: d.machine, reason: d.reason, confirmed: d.confirmed, basis: d.basis, frozenAt: d.frozenAt,
    startedAt: d.startedAt, frozenMs: d.frozenMs, jobs: d.jobs,
    logTail: tail > 0 ? logLines(d.log).slice(-tail) : [], inputDrvs: d.inputDrvs,
  };
}

function messageReport({ severity: _s, ...rest }: Message): MessageReport {
  return rest;
}

function jobReport(state: State, j: Job): JobReport {
  return {
    source: j.source, via: j.info.via, pid: j.info.pid, uid: j.info.uid, user: j.info.user, command: j.info.command,
    status: j.status, exitCode: j.exitCode, plan: j.plan, progress: j.progress, openedAt: j.openedAt, closedAt: j.closedAt, counts: jobCounts(state, j),
    errorCount: j.errorCount, warningCount: j.warningCount, cannotBuild: j.cannotBuild, workerCrashed: j.workerCrashed,
  };
}
