// Nix's own vocabulary, mirrored from nix/src/libutil/logging.hh (ActivityType, ResultType, Verbosity), tags 2.8 to 2.35.
// Numbers, not enums: unknown values must travel through untouched.

/** ActivityType in logging.hh. */
export const ActivityType = {
  Unknown: 0,
  CopyPath: 100,
  FileTransfer: 101,
  Realise: 102,
  CopyPaths: 103,
  Builds: 104,
  Build: 105,
  OptimiseStore: 106,
  VerifyPaths: 107,
  Substitute: 108,
  QueryPathInfo: 109,
  PostBuildHook: 110,
  BuildWaiting: 111,
  FetchTree: 112,
  FetchToStore: 113,
} as const;

/** ResultType in logging.hh (109/110 differ between upstream and Determinate Nix). */
export const ResultType = {
  FileLinked: 100,
  BuildLogLine: 101,
  UntrustedPath: 102,
  CorruptedPath: 103,
  SetPhase: 104,
  Progress: 105,
  SetExpected: 106,
  PostBuildLogLine: 107,
  FetchStatus: 108,
  FetchToStoreOrHashMismatch: 109,
  BuildResult: 110,
} as const;

/** Verbosity in logging.hh: lvlError = 0 ... lvlVomit = 7. */
export const Verbosity = { error: 0, warn: 1, notice: 2, info: 3, talkative: 4, chatty: 5, debug: 6, vomit: 7 } as const;

const activityNames = new Map<number, string>(Object.entries(ActivityType).map(([k, v]) => [v, k]));
const resultNames = new Map<number, string>(Object.entries(ResultType).map(([k, v]) => [v, k]));

export const activityTypeName = (t: number): string => activityNames.get(t) ?? `type ${t}`;
export const resultTypeName = (t: number): string => resultNames.get(t) ?? `type ${t}`;
export const isKnownActivityType = (t: number): boolean => activityNames.has(t);
export const isKnownResultType = (t: number): boolean => resultNames.has(t);

/** A field of a start or result record: Nix writes only strings and integers. */
export type Field = string | number;

/** Activity ids are (pid << 32) + counter and exceed 2^53: kept as decimal strings. */
export type ActivityId = string;

/** One decoded line of a Nix log: a record Nix wrote, plain text, or a line that could not be read. */
export type NixRecord =
  | {
      readonly kind: 'start';
      readonly id: ActivityId;
      readonly level: number;
      readonly type: number;
      readonly text: string;
      /** "0" at top level; absent before Nix 2.18, also "0" then. */
      readonly parent: ActivityId;
      readonly fields: readonly Field[];
    }
  | { readonly kind: 'stop'; readonly id: ActivityId }
  | {
      readonly kind: 'result';
      readonly id: ActivityId;
      readonly type: number;
      readonly fields: readonly Field[];
      /** Determinate Nix's BuildResult (type 110) carries an object instead of fields. */
      readonly payload?: unknown;
    }
  | {
      readonly kind: 'msg';
      readonly level: number;
      /** The message with ANSI colour codes stripped. */
      readonly msg: string;
      /** Present on errors and warnings (logError/logWarning), also stripped. */
      readonly rawMsg?: string;
      readonly file?: string | null;
      readonly line?: number | null;
      readonly column?: number | null;
    }
  /** A stderr line that is not a Nix record (no `@nix ` prefix on an internal-json stream). */
  | { readonly kind: 'text'; readonly text: string }
  /** A line that claimed to be a record but could not be read: never thrown, always counted. */
  | { readonly kind: 'invalid'; readonly reason: string; readonly sample: string };
