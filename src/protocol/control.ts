// The control socket's protocol: one JSON object per line each way. Shared by the daemon and its clients.
import type { Snapshot } from '../state/snapshot.js';

export { PROTOCOL_VERSION } from './version.js';

export type SignalName = 'TERM' | 'KILL' | 'INT' | 'HUP' | 'STOP' | 'CONT';
export const SIGNAL_NAMES: readonly SignalName[] = ['TERM', 'KILL', 'INT', 'HUP', 'STOP', 'CONT'];

/** process: that pid; build: the builder's whole process group; job: the Nix client that asked for the build. */
export type SignalTarget = 'process' | 'build' | 'job';

export type SignalRequest = {
  readonly target: SignalTarget;
  readonly pid: number;
  /** The process's start time as the client saw it (ms since the epoch): guards against pid reuse. */
  readonly startedAt: number;
  readonly signal: SignalName;
  /** The watched host whose daemon decides (the UI's routing, src/feeds/fleet-feed.ts); never read by a daemon. */
  readonly host?: string;
};

export type Request =
  /** Versions are negotiated by src/protocol/version.ts (eventVersion, snapshotVersion: absent before protocol 2). */
  | { readonly op: 'hello'; readonly version: number; readonly eventVersion?: unknown; readonly snapshotVersion?: unknown }
  | ({ readonly op: 'signal' } & SignalRequest)
  /** A running builder's start environment (the derivation's attributes): root or the build's owner only. */
  | { readonly op: 'environ'; readonly pid: number; readonly startedAt: number }
  /**
   * Turns the connection into a log stream: then `{line}` objects and one final `{exit}`; or, when `framed` and the
   * reply says `framed: true`, raw log bytes in length-prefixed frames (feed-frames.ts).
   */
  | { readonly op: 'feed'; readonly command: string; readonly pid: number | null; readonly framed: boolean;
      /** When the sender started its Nix (ms since the epoch): the job's start, also after a reconnect. */
      readonly startedAt: number | null }
  /** A read of the build history (src/history/protocol.ts), answered by the daemon's history worker. */
  | { readonly op: 'history'; readonly query: unknown }
  /**
   * A UI attaches for as long as the connection is open; `all`: list other processes too, not only Nix's (the `a`
   * key): everyone's when root asks, the asker's own otherwise (src/daemon/attach.ts).
   */
  | { readonly op: 'attach'; readonly all: boolean }
  /** A UI that started the daemon, on exit: stop if no other UI or feed is attached and no build runs. */
  | { readonly op: 'stop-if-alone' }
  /** A wake FIFO for this client's ring reader (src/daemon/wake-offers.ts); refused: it waits on the futex. */
  | { readonly op: 'wake' };

export type FeedMessage = { readonly line: string } | { readonly exit: number | null };

export type DaemonInfo = {
  readonly pid: number; readonly startedAt: number; readonly runtimeDir: string; readonly nixLogSocket: string;
  /** The log socket came from socket activation (systemd keeps it across daemon restarts). */
  readonly socketActivated?: boolean;
  /** A regular file Nix had created at the log socket's path while no daemon ran, taken over at start. */
  readonly leftFile?: { readonly path: string; readonly bytes: number; readonly skippedBytes: number; readonly takenAt: number };
};

export type Reply =
  | { readonly ok: true; readonly op: 'hello'; readonly version: number; readonly eventVersion: number;
      readonly snapshotVersion: number; readonly ringPath: string; readonly seq: number;
      readonly snapshot: Snapshot; readonly daemon: DaemonInfo }
  | { readonly ok: true; readonly op: 'signal' | 'stop-if-alone' }
  /** `framed`: frames follow this reply (the request asked for them); absent from a daemon that only reads lines. */
  /** `times`: the daemon takes FRAME_AT frames (feed-frames.ts). */
  | { readonly ok: true; readonly op: 'feed'; readonly framed?: boolean; readonly times?: boolean }
  /** `everyone`: the every-process scan lists all users' processes (root asked), else only the asker's own. */
  | { readonly ok: true; readonly op: 'attach'; readonly everyone: boolean }
  | { readonly ok: true; readonly op: 'environ'; readonly environ: [string, string][] }
  /** A history query's answer (src/history/protocol.ts); `historyError`: the database's trouble, for the status line. */
  | { readonly ok: true; readonly op: 'history'; readonly result: unknown; readonly historyError: string | null }
  /** `path`: the FIFO to open (RingReader.wakeBy) within 10 s; it wakes readers of the ring at `ringPath` only. */
  | { readonly ok: true; readonly op: 'wake'; readonly path: string; readonly ringPath: string }
  | { readonly ok: false; readonly op: string; readonly reason: string };

/** Ring records are src/protocol/events.ts's. */
export { RECORD_KIND_EVENT as RING_KIND_EVENT } from './events.js';
