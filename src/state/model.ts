// The build-state model: what the reducer keeps. Entities are replaced, never mutated, so views can memoize by identity.
import type { At, SourceId, SourceInfo } from './events.js';
import type { LogTail } from './log-tail.js';
import type { ActivityId, Field } from './nix.js';
import type { StateFields } from './fields.js';

export type DerivationStatus =
  | 'planned' | 'waiting' | 'running' | 'built' | 'substituted' | 'valid' | 'failed' | 'cancelled' | 'interrupted';

/**
 * What an outcome rests on, strongest last: a guess from how the job ended, the Builds counters, Nix's own words
 * (a failure message naming the drv, a -vvv goal trace, Determinate Nix's BuildResult), the store's outputs.
 */
export type OutcomeBasis = 'inferred' | 'counters' | 'nix' | 'store';

export type Derivation = {
  readonly drvPath: string;
  /** From the store path (`<hash>-<name>.drv`) or the .drv file. */
  readonly name: string;
  readonly status: DerivationStatus;
  /** Builder's exit code where a failure message named it. */
  readonly exitCode: number | null;
  /** Latest phase (SetPhase), e.g. "buildPhase". */
  readonly phase: string | null;
  /** Every phase seen, in order (bounded). */
  readonly phases: readonly string[];
  readonly startedAt: At;
  readonly stoppedAt: At;
  /** "" for the local machine, else the remote builder Nix named. */
  readonly machine: string | null;
  /** Last log lines (bounded): read them with logLines() / lastLogLine(). */
  readonly log: LogTail;
  /** Input derivations where known (.drv file). */
  readonly inputDrvs: readonly string[] | null;
  readonly outputs: Readonly<Record<string, string>> | null;
  /** Jobs that asked for this derivation. */
  readonly jobs: readonly SourceId[];
  /** Why it is waiting/cancelled, in Nix's words where Nix said it. */
  readonly reason: string | null;
  /** True once the store confirmed the outcome: outputs valid for a success, missing for any other end. */
  readonly confirmed: boolean;
  /** What the outcome rests on; null while nothing is decided. */
  readonly basis: OutcomeBasis | null;
  /** Sources that started its current build (a Build activity): only they may decide how it ends. */
  readonly owners: readonly SourceId[];
  /** Its builder is stopped (SIGSTOP, /proc state T) since then: its clock stands still. Null when not frozen. */
  readonly frozenAt: At;
  /** Time its builder spent stopped before now (earlier freezes): not build time. STARTED stays when it started. */
  readonly frozenMs: number;
  /** -vvv: the last goal step Nix traced, with the Builds counters when the builder finished. */
  readonly trace: DrvTrace | null;
};

export type DrvTrace = {
  readonly source: SourceId;
  readonly step: 'created' | 'substituted' | 'inputs-realised' | 'building' | 'finished';
  readonly done: number;
  readonly failed: number;
};

export type TransferKind = 'download' | 'copy' | 'substitute';

export type Transfer = {
  readonly key: string;
  readonly kind: TransferKind;
  /** Store path or URL. */
  readonly what: string;
  readonly from: string | null;
  readonly doneBytes: number;
  readonly expectedBytes: number;
  readonly startedAt: At;
  readonly stoppedAt: At;
  readonly source: SourceId;
  readonly status: 'running' | 'done' | 'interrupted';
};

export type MessageSeverity = 'error' | 'warning';

export type Message = {
  readonly severity: MessageSeverity;
  readonly source: SourceId;
  readonly at: At;
  /** The whole message, ANSI stripped. */
  readonly text: string;
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
  /** The derivation the message names, where it names one. */
  readonly drvPath: string | null;
};

export type BuildsProgress = { readonly done: number; readonly expected: number; readonly running: number; readonly failed: number };

/**
 * How many builds the job needs by Nix's own count, where no plan lists them (a legacy `nix-build` through the
 * daemon streams only its worker, which prints no "these N derivations will be built"): per Builds activity, the
 * most its counters ever had outstanding (`expected - done`; Nix 2.8 counts `expected` down as builds fail and
 * 2.30 counts it up as they finish, but both start from the whole count), summed over the job's Builds activities.
 */
export type BuildsTotal = { readonly activity: ActivityId | null; readonly peak: number; readonly before: number };

/** What a source's open activity is, kept only while it runs. */
export type Activity = {
  readonly source: SourceId;
  readonly id: ActivityId;
  readonly type: number;
  readonly text: string;
  readonly fields: readonly Field[];
  readonly drvPath: string | null;
  readonly transferKey: string | null;
  /**
   * Another Nix's activity relayed inside this source's stream: ssh-ng relays the remote daemon's own Build and
   * Builds activities of an offloaded build. Its log lines and phases count; its stop and counters are not this job's.
   */
  readonly relay?: true;
};

export type JobStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

/** One source: a client's build request (or a daemon worker's stream) and its open activities. */
export type Job = {
  readonly source: SourceId;
  readonly info: SourceInfo;
  readonly status: JobStatus;
  readonly openedAt: At;
  readonly closedAt: At;
  readonly exitCode: number | null;
  /**
   * Derivations Nix said it would build, in its order. `plan`, `fetchPlan` and `drvs` are append-only and shared by
   * successive versions of the job (appending copies nothing: O(1) per item); compare lengths, not identity.
   */
  readonly plan: readonly string[];
  /** Store paths Nix said it would fetch. */
  readonly fetchPlan: readonly string[];
  /** Derivations this job started building or waited for. */
  readonly drvs: readonly string[];
  readonly progress: BuildsProgress;
  readonly buildsTotal: BuildsTotal;
  /** Builds outcomes attributed from the Builds counters so far. */
  readonly attributed: { readonly done: number; readonly failed: number };
  /** Builds outcomes Nix named itself (failure messages, -vvv traces, BuildResult): not the counters' to hand out. */
  readonly named: { readonly done: number; readonly failed: number };
  /** Stopped builds the counters could not yet tell apart (two ended in the same tick), in stop order. */
  readonly undecided: readonly string[];
  /** A Builds activity was seen: this job realises (a --dry-run never does). */
  readonly realising: boolean;
  /** The daemon worker serving this client died ("unexpected end-of-file"). */
  readonly workerCrashed: boolean;
  /** Nix's own reason when it could not build at all ("unable to start any build ..."). */
  readonly cannotBuild: string | null;
  /** Activities open in this source right now. */
  readonly openActivities: number;
  readonly errorCount: number;
  readonly warningCount: number;
  /** Collecting the indented lines that follow "these N derivations will be built:". */
  readonly collecting: 'plan' | 'fetch' | null;
  readonly interrupted: boolean;
};

export type Limits = {
  /** Log lines kept per derivation. */
  readonly logTail: number;
  /** Errors and warnings kept. */
  readonly messages: number;
  /**
   * Finished derivations of closed jobs kept before the oldest are forgotten (those of running jobs are always
   * kept: the user asked for them). Infinity for replay, which reports every derivation.
   */
  readonly finishedDerivations: number;
  /** Closed jobs kept. */
  readonly closedJobs: number;
  /** Characters kept of one log line or message. */
  readonly lineChars: number;
};

export const defaultLimits: Limits = {
  logTail: 50,
  messages: 500,
  finishedDerivations: 20_000,
  closedJobs: 200,
  lineChars: 4096,
};

/**
 * Everything the reducer keeps. The fields after `limits` are defined once, in fields.ts (STATE_FIELDS): add one
 * there. Containers are updated in place by the reducer (O(1) per event); the entities in them are replaced, never
 * mutated.
 */
export type State = { readonly limits: Limits } & StateFields;
