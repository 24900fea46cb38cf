// Messages between the daemon's main thread and its log-intake worker thread (src/daemon/log-intake-worker.ts).

export type IntakeInit = {
  /** The json-log-path socket to bind, unless `fd` is set. */
  readonly path: string;
  /** An inherited listening socket (LISTEN_FDS), or null to bind `path`. */
  readonly fd: number | null;
  /** A root connection is paused once the main thread is this many bytes behind on it. */
  readonly maxUnackedBytes: number;
  /** The same for one non-root connection (any user can open many: each gets less). */
  readonly userUnackedBytes: number;
  /** Non-root connections together: past this, the one that sends is paused if its uid owes more than its share (an even split between the uids owing anything). */
  readonly usersUnackedBytes: number;
  /** Open connections one non-root uid may hold (SO_PEERCRED); root is never refused. */
  readonly perUid: number;
  /** Open connections all non-root uids together may hold. */
  readonly nonRootTotal: number;
};

export type Cred = { readonly pid: number; readonly uid: number; readonly gid: number };

export type FromIntake =
  | { readonly t: 'ready' }
  | { readonly t: 'failed'; readonly message: string }
  | { readonly t: 'open'; readonly id: number; readonly cred: Cred | null; readonly command: string; readonly startedAt: number | null }
  | { readonly t: 'refused'; readonly uid: number | null; readonly reason: string }
  | { readonly t: 'data'; readonly id: number; readonly chunk: Uint8Array }
  | { readonly t: 'paused'; readonly id: number; readonly uid: number | null; readonly unacked: number }
  | { readonly t: 'end'; readonly id: number }
  | { readonly t: 'error'; readonly id: number; readonly message: string }
  | { readonly t: 'close'; readonly id: number }
  | { readonly t: 'stopped' };

export type ToIntake =
  | { readonly t: 'ack'; readonly id: number; readonly bytes: number }
  | { readonly t: 'close'; readonly id: number }
  | { readonly t: 'stop' };
