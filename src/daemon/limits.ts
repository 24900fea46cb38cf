// What any one peer may cost the daemon: connections per uid (SO_PEERCRED), bytes of partial lines (one budget
// shared by every socket), unread replies. Root is never refused a connection: the non-root total stays well under
// the fd limit, so fds are left for root however many users flood the sockets.
import { readOpenFilesLimit } from '../ingest/proc-read.js';
import { byteBudget, type ByteBudget } from '../ingest/lines.js';

export type SocketKind = 'log' | 'control';

export type DaemonLimits = {
  /** Open connections one non-root uid may hold on each socket. */
  readonly perUid: Readonly<Record<SocketKind, number>>;
  /** Open connections all non-root uids together may hold (both sockets). */
  readonly nonRootTotal: number;
  /** Partial-line bytes all connections together may hold beyond each one's guaranteed part. */
  readonly lineBudgetBytes: number;
  /** Partial-line bytes any connection may hold whatever the budget says (normal Nix lines fit). */
  readonly guaranteedLineBytes: number;
  /** A json-log-path line longer than this is cut: its prefix is kept, the rest counted. */
  readonly logLineBytes: number;
  /** A control request line (hello, signal, environ, feed). */
  readonly controlLineBytes: number;
  /** A `{line}` message of a feed (a Nix log line, JSON-escaped). */
  readonly feedLineBytes: number;
  /** Unflushed reply bytes past which no further reply is queued (the connection is closed). */
  readonly maxUnreadBytes: number;
  /** A connection whose replies have not moved for this long is closed. */
  readonly stalledMs: number;
  /** Derivations, transfers and open activities the open log sources of one non-root uid may add (derivation-quota.ts). */
  readonly userDerivations: number;
};

/** The soft RLIMIT_NOFILE of this process (Node raises it to the hard limit at start). */
export function fdLimit(): number {
  return readOpenFilesLimit() ?? 1024;
}

export function defaultLimits(fds = fdLimit()): DaemonLimits {
  return {
    perUid: { log: 64, control: 32 },
    nonRootTotal: Math.max(16, Math.min(2048, Math.floor(fds / 2))),
    lineBudgetBytes: 128 << 20,
    guaranteedLineBytes: 16 << 10,
    logLineBytes: 1 << 20,
    controlLineBytes: 64 << 10,
    feedLineBytes: 4 << 20,
    maxUnreadBytes: 64 << 20,
    stalledMs: 30_000,
    // A real build of 100,000 derivations and as many substitutions fits; a flood of forged ones stops at ~160 MB.
    userDerivations: 200_000,
  };
}

/** Counts open connections per (socket, uid); `admit` says whether one more may stay. */
export class PeerCounter {
  private readonly open = new Map<string, number>();
  private nonRoot = 0;
  readonly budget: ByteBudget & { readonly used: number };

  constructor(readonly limits: DaemonLimits) {
    this.budget = byteBudget(limits.lineBudgetBytes);
  }

  /** null: admitted (call the returned release when it closes); else why not. */
  admit(kind: SocketKind, uid: number | null): { release: () => void } | { refused: string } {
    if (uid === 0) return { release: () => undefined };
    const key = `${kind}:${uid ?? '?'}`;
    const mine = this.open.get(key) ?? 0;
    if (mine >= this.limits.perUid[kind]) return { refused: `uid ${uid ?? '?'} already has ${mine} ${kind} connections (limit ${this.limits.perUid[kind]})` };
    if (this.nonRoot >= this.limits.nonRootTotal) return { refused: `non-root peers hold ${this.nonRoot} connections (limit ${this.limits.nonRootTotal})` };
    this.open.set(key, mine + 1);
    this.nonRoot++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.nonRoot--;
        const n = (this.open.get(key) ?? 1) - 1;
        if (n <= 0) this.open.delete(key); else this.open.set(key, n);
      },
    };
  }

  connections(kind: SocketKind, uid: number): number {
    return this.open.get(`${kind}:${uid}`) ?? 0;
  }
}
