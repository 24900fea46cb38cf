// Wake FIFOs (docs/ring.md, "Waiting"): the writer makes one per reader that asks (the daemon, on a control
// request), and adopts its write end once the reader has opened it: from then on every wake also writes a byte to
// it, which the reader's event loop polls like a socket (one hop). Only for readers of the writer's own user (mode
// 0600): a write to a pipe first takes the pipe's mutex, O_NONBLOCK or not, and whoever holds the read end can keep
// that mutex held (splice from the FIFO into a socket it never reads): the writing thread then sleeps in the
// kernel, unkillable, until it lets go. Another user must never hold the read end of a pipe the daemon writes.
// The writer never opens a path someone else made: it adopts only the FIFO it created (same device and inode),
// and unlinks it at once. One the reader never opens is unlinked after `timeoutMs`.
import { closeSync, constants, fstatSync, lstatSync, openSync, unlinkSync } from 'node:fs';

import { loadNative, type NativeRingWriter } from '../addon/native.js';

type Pending = {
  readonly path: string; readonly dev: number; readonly ino: number; readonly deadline: number; readonly uid: number;
  /** When to look again, and the gap after that: each look that finds no reader doubles it, up to ADOPT_MAX_GAP_MS. */
  nextAt: number; gap: number;
};

// A reader opens its FIFO within milliseconds of the reply (src/client/daemon-client.ts opens it before the hello
// is in): looked for every 5 ms at first, then less and less often, so that 16 offers a user never opens cost a
// few dozen failed open()s, not 2,000 a second each.
const ADOPT_EVERY_MS = 5;
const ADOPT_MAX_GAP_MS = 1000;

/** The offers of one ring writer that no reader has opened yet. */
export class WakeFifos {
  readonly #native: NativeRingWriter;
  readonly #pending: Pending[] = [];
  /** The writer's duplicate of each adopted FIFO -> its owner's uid. */
  readonly #adopted = new Map<number, number>();
  #timer: NodeJS.Timeout | undefined;
  /** Told why an offered FIFO was not adopted (refused to open, or not the one made there). */
  onError: ((message: string) => void) | null = null;

  constructor(native: NativeRingWriter) {
    this.#native = native;
  }

  /** Offers open at the moment (made, not yet opened by their reader, not yet timed out). */
  get pending(): number {
    return this.#pending.length;
  }

  /** Adopted FIFOs whose reader still holds them. */
  get adopted(): number {
    this.#prune();
    return this.#adopted.size;
  }

  /** Offers open and FIFOs adopted (and still held) owned by `uid`. */
  countOf(uid: number): number {
    this.#prune();
    let n = 0;
    for (const p of this.#pending) if (p.uid === uid) n++;
    for (const owner of this.#adopted.values()) if (owner === uid) n++;
    return n;
  }

  offer(path: string, timeoutMs: number): void {
    loadNative().makeFifo(path, 0o600);
    try {
      const st = lstatSync(path);
      const now = Date.now();
      this.#pending.push({ path, dev: st.dev, ino: st.ino, deadline: now + timeoutMs, uid: st.uid, nextAt: now, gap: ADOPT_EVERY_MS });
    } catch (err) {
      unlinkQuietly(path);
      throw err;
    }
    this.#timer ??= setInterval(() => this.adopt(), ADOPT_EVERY_MS).unref();
  }

  /** Adopts every offered FIFO whose reader has opened it since; drops those past their deadline. */
  adopt(): void {
    const now = Date.now();
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const p = this.#pending[i] as Pending;
      if (now < p.nextAt && now < p.deadline) continue;
      const done = this.#tryAdopt(p) || now >= p.deadline;
      if (!done) {
        p.nextAt = now + p.gap;
        p.gap = Math.min(2 * p.gap, ADOPT_MAX_GAP_MS);
        continue;
      }
      unlinkQuietly(p.path);
      this.#pending.splice(i, 1);
    }
    if (this.#pending.length === 0) this.#stopTimer();
  }

  /** Unlinks every offer still open. */
  close(): void {
    for (const p of this.#pending) unlinkQuietly(p.path);
    this.#pending.length = 0;
    this.#adopted.clear();
    this.#stopTimer();
  }

  #prune(): void {
    if (this.#adopted.size === 0) return;
    const live = new Set(this.#native.wakeFds());
    for (const fd of this.#adopted.keys()) if (!live.has(fd)) this.#adopted.delete(fd);
  }

  // True once the FIFO is adopted or can never be (replaced, removed); false while its reader has not opened it.
  #tryAdopt(p: Pending): boolean {
    let fd: number;
    try {
      // O_NONBLOCK: ENXIO at once while no reader has it open, and a full FIFO never blocks a write.
      fd = openSync(p.path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENXIO') return false;
      this.onError?.(`wake FIFO ${p.path} not adopted: ${(err as Error).message}`);
      return true;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFIFO() || st.dev !== p.dev || st.ino !== p.ino) {
        this.onError?.(`wake FIFO ${p.path} not adopted: it is not the FIFO made there`);
        return true;
      }
      // The writer keeps its own copy (and writes the first byte at once).
      this.#adopted.set(this.#native.addWakeFd(fd), p.uid);
      return true;
    } finally {
      closeSync(fd);
    }
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}


function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
