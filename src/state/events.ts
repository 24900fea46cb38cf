// The one event vocabulary: what the daemon publishes into the ring and what every reducer consumes.
import type { NixRecord } from './nix.js';

/**
 * Bumped whenever an event's shape, or what the reducer makes of events, changes: a client and a daemon of different
 * versions would hold different states from the same ring, so a client refuses a ring of another version.
 * 2: a plan lists each item once (at most 100,000); a build Nix names stays among the waiting stops until settled.
 * 3: a job keeps its Builds counters' total (Job.buildsTotal); a local build's end rests on the store.
 * 4: a source's info may carry pidStartedAt; a build ending while frozen ends its frozen time; closed jobs and
 *    messages past their limits go by uid, the ones over their share first.
 */
export const EVENT_VERSION = 4;

/** A connection or stream carrying one Nix log; namespaces the activity ids inside it. */
export type SourceId = string;

/** Time in ms since the epoch when the event was received; null when unknown (a saved log replayed). */
export type At = number | null;

/**
 * How a source reached us; left-file: the regular file Nix wrote at json-log-path while no daemon ran; local: no
 * stream at all (root's nix-build on the local store), a job the daemon saw only in /proc and the store.
 */
export type SourceVia = 'socket' | 'run' | 'feed' | 'replay' | 'left-file' | 'local';

/**
 * Who is behind a source: SO_PEERCRED for sockets; for a nix-daemon worker (which connects as root whoever its
 * client is) the worker's client, from the kernel's credentials of the worker's client connection.
 */
export type SourceInfo = {
  readonly via: SourceVia;
  /** Peer pid (a worker's client pid), or the pid of the Nix client `nix-btm run` started (checked to be its child). */
  readonly pid: number | null;
  readonly uid: number | null;
  readonly user: string | null;
  /** The peer's command line, or the file name for a replay. */
  readonly command: string;
  /** A nix-daemon worker relays its client's build: with json-log-path both connect, carrying the same activities. */
  readonly daemonWorker?: boolean;
  /** The connection's own credentials where they differ from who is behind it: a worker's pid (its ids' top 32 bits) and root. */
  readonly peer?: { readonly pid: number; readonly uid: number };
  /** How a worker's client was found: its connection's SO_PEERCRED, or the pid Nix writes into the worker's argv. */
  readonly attributedBy?: 'client-socket' | 'worker-argv';
  /**
   * When the process `pid` names started (ms since the epoch, the scan's clock), read as the source opened: a
   * process holding that pid later (reused) is not this job's client, and never signalled as it.
   */
  readonly pidStartedAt?: number;
};

/** One process of the Nix process forest, as the /proc scan saw it. */
export type ProcessInfo = {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly uid: number;
  readonly user: string;
  /** One-letter state from /proc/PID/stat: R, S, D, Z, T, ... */
  readonly state: string;
  readonly cpuPercent: number;
  /** CPU time used so far (user + system, /proc/PID/stat utime + stime; ps TIME), ms; absent in older captures. */
  readonly cpuTimeMs?: number;
  readonly rssBytes: number;
  /** Process start time, ms since the epoch (also the guard against pid reuse). */
  readonly startedAt: number;
  readonly command: string;
  readonly role: ProcessRole;
  /** The derivation this builder (or its descendant) builds, where tied. */
  readonly drvPath: string | null;
};

export type ProcessRole = 'nix-daemon' | 'daemon-worker' | 'client' | 'builder' | 'builder-child' | 'other';

/** Machine-wide figures shown in the header. */
export type HostInfo = {
  readonly hostname: string;
  readonly nixVersion: string | null;
  /** Busy share of each core, 0-100. */
  readonly cpuPercent: readonly number[];
  readonly memTotalBytes: number;
  readonly memUsedBytes: number;
  readonly load: readonly [number, number, number];
  /** Free bytes on the store's file system (absent from older daemons). */
  readonly diskFreeBytes?: number | null;
};

/** What a .drv file says (ATerm), read once per derivation. */
export type DrvInfo = {
  readonly drvPath: string;
  readonly name: string;
  /** Output name -> store path. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly inputDrvs: readonly string[];
  readonly system: string;
};

export type BtmEvent =
  | { readonly kind: 'source-open'; readonly at: At; readonly source: SourceId; readonly info: SourceInfo }
  | { readonly kind: 'nix'; readonly at: At; readonly source: SourceId; readonly record: NixRecord }
  | {
      readonly kind: 'source-close';
      readonly at: At;
      readonly source: SourceId;
      /** The Nix client's exit code where known (`nix-btm run`), else null. */
      readonly exitCode: number | null;
      /** eof: the stream ended; vanished: the peer went away mid-build; error: reading failed. */
      readonly reason: 'eof' | 'vanished' | 'error';
    }
  | { readonly kind: 'drv-info'; readonly at: At; readonly info: DrvInfo }
  /** The store was asked whether a derivation's outputs exist (ground truth for "built"). */
  | { readonly kind: 'outputs-valid'; readonly at: At; readonly drvPath: string; readonly valid: boolean }
  | { readonly kind: 'proc-scan'; readonly at: At; readonly processes: readonly ProcessInfo[]; readonly host: HostInfo | null }
  /**
   * A build no log stream reports (src/daemon/local-builds.ts): its builder seen in /proc and tied to its .drv
   * (running), then gone, with the store's word on its outputs (built, or failed with the reason: as Nix calls a
   * killed builder too).
   */
  | { readonly kind: 'local-build'; readonly at: At; readonly source: SourceId; readonly drvPath: string;
      readonly status: 'running' | 'built' | 'failed'; readonly reason: string | null };
