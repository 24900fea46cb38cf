// What the daemon hands the history writer: plain rows, built from the live state, cheap to post to a worker.

export type JobRow = {
  /** Daemon start + source id: unique across daemon restarts. */
  readonly key: string;
  readonly via: string;
  readonly command: string;
  readonly user: string | null;
  readonly uid: number | null;
  readonly pid: number | null;
  readonly host: string;
  readonly relay: boolean;
  readonly status: string;
  readonly exitCode: number | null;
  readonly startedAt: number | null;
  readonly stoppedAt: number | null;
  readonly built: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly substituted: number;
  readonly planned: number;
  readonly errors: number;
};

export type DrvRow = {
  readonly jobKey: string;
  /** The .drv path of a build, the output path of a substitution. */
  readonly path: string;
  readonly name: string;
  readonly substituted: boolean;
  /** Where it ran: this host, or the remote builder Nix named. */
  readonly host: string;
  readonly status: string;
  readonly reason: string | null;
  readonly exitCode: number | null;
  readonly startedAt: number | null;
  readonly stoppedAt: number | null;
  readonly durationMs: number | null;
  /** Phases and their durations, in order. */
  readonly phases: readonly (readonly [string, number])[] | null;
  readonly peakProcs: number | null;
  readonly cpuMs: number | null;
  readonly peakRss: number | null;
  readonly outputBytes: number | null;
  /** Output paths whose size the writer measures (off the event path) when outputBytes is unknown. */
  readonly outputs: readonly string[] | null;
};

export type Batch = { readonly jobs: readonly JobRow[]; readonly drvs: readonly DrvRow[] };
