// A reading end of a ring: any number per ring, in any process that may read the file (it is opened read-only).
import { closeSync, constants, fstatSync, openSync } from 'node:fs';

import { loadNative, READ_BEYOND_END, READ_BUSY, READ_CORRUPT, READ_OK, type NativeRingReader } from '../addon/native.js';
import { checkListener, checkMaxRecords, checkPath, checkSeq } from './validate.js';

/** One record as published by RingWriter.append(). */
export type RingRecord = {
  readonly seq: number;
  readonly kind: number;
  /** A view into a buffer shared by the records of one read() call. */
  readonly payload: Uint8Array;
};

/** Sequence numbers from..to (inclusive) that were overwritten before this reader got them. */
export type LostRange = { readonly from: number; readonly to: number };

export type ReadResult = {
  /** Consecutive records, in order; they come after the lost range if there is one. */
  readonly records: readonly RingRecord[];
  readonly lost?: LostRange;
  /** Pass this as fromSeq to the next read(). */
  readonly nextSeq: number;
};

/**
 * The records of one readBlock(), with no object per record: payloads back to back in one buffer, kinds and lengths
 * in one typed array. `data`, `metas` and `offsets` are the reader's own buffers: valid until its next read() or
 * readBlock(); copy what must outlive that.
 */
export type RecordBlock = {
  /** Consecutive records, seq firstSeq .. firstSeq + count - 1; they come after the lost range if there is one. */
  readonly count: number;
  readonly firstSeq: number;
  readonly lost?: LostRange;
  /** Pass this as fromSeq to the next read. */
  readonly nextSeq: number;
  /** Record i's payload is data[offsets[i] .. offsets[i + 1]). */
  readonly data: Buffer;
  /** Record i's kind at 2i and payload length at 2i + 1 (the layout appendBatch takes). */
  readonly metas: Uint32Array;
  /** count + 1 entries: where each payload starts in data, then where the last one ends. */
  readonly offsets: Uint32Array;
};

export type ReaderStats = {
  /** Records handed out. */
  readonly records: number;
  /** Records reported lost. */
  readonly lost: number;
  /** Records that were overwritten while being copied (torn), dropped and reported lost instead. */
  readonly discardedAfterCopy: number;
  /** Of the current wait: times the waiter thread polled briefly before sleeping (records were arriving). */
  readonly spins: number;
  /** Polls that saw a record arrive, reported without a futex wake-up. */
  readonly spinHits: number;
  /** Of the current wait: wake-ups the writer's byte on the wake FIFO brought (0 for a futex wait). */
  readonly fifoWakes: number;
  /** Of the last wake-up, process.hrtime ns: when the waiter thread saw the change, and when this thread took it. */
  readonly lastSeenNs: number;
  readonly lastCallNs: number;
  /** How the current (or last) wait runs: in the event loop through io_uring, or on a waiter thread. */
  readonly wait: 'io_uring' | 'thread' | 'fifo' | 'none';
  /** Why the wait is not through io_uring (the kernel's refusal, or NIX_BTM_RING_WAIT=thread); '' when it is. */
  readonly waitFallback: string;
};

/** A wake FIFO's read end, opened as soon as its path is known (the writer adopts it then): for RingReader.wakeBy. */
export type WakeFifoFd = { readonly fd: number };

/**
 * Opens a wake FIFO for reading (O_NONBLOCK, never following a link); throws when it is not a FIFO this process may
 * open. Opening it is what lets the writer adopt it: do it as soon as its path is known.
 */
export function openWakeFifo(fifoPath: string): WakeFifoFd {
  const path = checkPath(fifoPath);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  if (!fstatSync(fd).isFIFO()) {
    closeSync(fd);
    throw new Error(`${path} is not a FIFO`);
  }
  return { fd };
}

/** NIX_BTM_RING_WAIT: `thread` forces the waiter thread, `io_uring` refuses the fallback; otherwise the best. */
function waitMode(): 'auto' | 'thread' | 'io_uring' {
  const mode = process.env.NIX_BTM_RING_WAIT;
  return mode === 'thread' || mode === 'io_uring' ? mode : 'auto';
}

/** read() found a record header that no writer wrote (the file was damaged): re-attach from a fresh snapshot. */
export class RingCorruptError extends Error {
  constructor(readonly path: string, readonly fromSeq: number) {
    super(`ring ${path} is corrupt after sequence ${fromSeq}`);
    this.name = 'RingCorruptError';
  }
}

const DEFAULT_MAX_RECORDS = 1024;
// Payload bytes per read(): at most 64 KiB keeps each batch's copy off fresh pages (bigger allocations fault).
const SCRATCH_BYTES = 1 << 16;
const BUSY_ATTEMPTS = 100;

export class RingReader {
  readonly path: string;
  readonly capacityBytes: number;
  readonly maxRecordBytes: number;
  /** Pid of the writing process, as seen from the writer's pid namespace. */
  readonly writerPid: number;
  readonly #native: NativeRingReader;
  readonly #scratch: Buffer;
  // [count, firstSeq, nextSeq, lostFrom, lostTo, prefetched]: the addon's read results; out[5] is the fromSeq of
  // a block the event-loop wait read into the buffers just before the callback (-1: none), see #fill.
  readonly #out = new Float64Array(6);
  readonly #listeners = new Set<() => void>();
  #metas = new Uint32Array(2 * DEFAULT_MAX_RECORDS);
  #offsets = new Uint32Array(DEFAULT_MAX_RECORDS + 1);
  #closed = false;
  #fifoFd = -1;
  #prefetching = false;

  /** Attaches to the ring at path (created by createRing, possibly in another process). */
  constructor(path: string) {
    this.path = checkPath(path);
    const { RingReader: Native } = loadNative();
    this.#native = new Native(this.path);
    const info = this.#native.info();
    this.capacityBytes = info.capacityBytes;
    this.maxRecordBytes = info.maxRecordBytes;
    this.writerPid = info.writerPid;
    this.#scratch = Buffer.allocUnsafeSlow(Math.max(info.maxRecordBytes, SCRATCH_BYTES));
    this.#out[5] = -1;
  }

  /** Sequence number the writer will give its next record: everything below has been published. */
  get nextSeq(): number {
    this.#checkOpen();
    return this.#native.nextSeq();
  }

  /** Sequence number of the oldest record still in the ring. */
  get oldestSeq(): number {
    this.#checkOpen();
    for (let attempt = 0; attempt < BUSY_ATTEMPTS; attempt++) {
      const seq = this.#native.oldestSeq();
      if (seq >= 0) return seq;
    }
    throw this.#busy();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Up to maxRecords records (and at most 64 KiB of payload, or one record) starting at fromSeq. If the writer
   * overwrote some of them first, `lost` says exactly which, and records resume after them. Never blocks; returns
   * no records when fromSeq === nextSeq.
   */
  read(fromSeq: number, maxRecords: number = DEFAULT_MAX_RECORDS): ReadResult {
    const from = this.#fill(fromSeq, maxRecords, false);
    const out = this.#out;
    const records = this.#records(out[0] ?? 0, out[1] ?? 0);
    const lostFrom = out[3] ?? -1;
    const nextSeq = out[2] ?? from;
    return lostFrom < 0 ? { records, nextSeq } : { records, lost: { from: lostFrom, to: out[4] ?? lostFrom }, nextSeq };
  }

  /**
   * What read() returns, with the same checks (sequence, length, torn records dropped and reported lost,
   * RingCorruptError), as one block: one native call and a constant number of JS objects whatever the count,
   * where read() makes an object and a view per record. The block's buffers are reused by the next read.
   */
  readBlock(fromSeq: number, maxRecords: number = DEFAULT_MAX_RECORDS): RecordBlock {
    const from = this.#fill(fromSeq, maxRecords, true);
    const out = this.#out;
    const count = out[0] ?? 0;
    const block = { count, firstSeq: out[1] ?? from, nextSeq: out[2] ?? from, data: this.#scratch, metas: this.#metas, offsets: this.#offsets };
    const lostFrom = out[3] ?? -1;
    return lostFrom < 0 ? block : { ...block, lost: { from: lostFrom, to: out[4] ?? lostFrom } };
  }

  /** One native read into the scratch buffers (retrying while the writer keeps overwriting); returns fromSeq. */
  #fill(fromSeq: number, maxRecords: number, offsets: boolean): number {
    this.#checkOpen();
    const from = checkSeq('fromSeq', fromSeq);
    const max = checkMaxRecords(maxRecords);
    const out = this.#out;
    // The wait read this block just before calling us (a cold wake-up then calls into the addon once, not twice).
    if (offsets && out[5] === from && (out[0] ?? 0) <= max) {
      out[5] = -2; // taken: the addon counts it as handed out
      return from;
    }
    if (this.#metas.length < 2 * max || (offsets && this.#offsets.length < max + 1)) {
      if (this.#metas.length < 2 * max) this.#metas = new Uint32Array(2 * max);
      if (offsets && this.#offsets.length < max + 1) this.#offsets = new Uint32Array(max + 1);
      if (this.#prefetching) this.#setPrefetch();
    }
    // A reader of blocks has its wake-ups read ahead for it (read() users do not: they would pay a copy for nothing).
    if (offsets && !this.#prefetching) {
      this.#prefetching = true;
      this.#setPrefetch();
    }
    for (let attempt = 0; ; attempt++) {
      const code = offsets
        ? this.#native.read(from, this.#scratch, this.#metas, max, this.#out, this.#offsets)
        : this.#native.read(from, this.#scratch, this.#metas, max, this.#out);
      if (code === READ_OK) return from;
      if (code === READ_BEYOND_END) {
        throw new RangeError(`fromSeq ${from} is past the ring's next sequence ${this.#native.nextSeq()}`);
      }
      if (code === READ_CORRUPT) throw new RingCorruptError(this.path, from);
      if (code !== READ_BUSY || attempt >= BUSY_ATTEMPTS) throw this.#busy();
    }
  }

  /** False once the writer closed the ring, or its process exited or was killed. */
  writerAlive(): boolean {
    this.#checkOpen();
    return this.#native.writerAlive();
  }

  /**
   * Calls listener on this thread when records were published since the last call (a burst costs one call) and once
   * when the writer closes or dies. Read everything up to nextSeq in it. Returns a function that removes the listener.
   * A pending wait does not keep the process alive unless ref() was called.
   */
  onReadable(listener: () => void): () => void {
    this.#checkOpen();
    const fn = checkListener(listener);
    if (this.#listeners.size === 0) this.#startWait();
    this.#listeners.add(fn);
    return () => {
      if (!this.#listeners.delete(fn) || this.#listeners.size > 0 || this.#closed) return;
      this.#native.stopWait();
    };
  }

  /**
   * Waits on the wake FIFO the writer made for this reader (RingWriter.offerWakeFifo; the daemon names it in its
   * hello reply) instead of the futex: the writer's byte wakes this thread's event loop itself, as a socket
   * would. Throws, leaving the wait as it was, when the path is not a FIFO this process may open. An open FIFO
   * (openWakeFifo) is the reader's from here: it closes it.
   */
  wakeBy(fifo: string | WakeFifoFd): this {
    this.#checkOpen();
    const fd = typeof fifo === 'string' ? openWakeFifo(fifo).fd : fifo.fd;
    if (this.#fifoFd >= 0) closeSync(this.#fifoFd);
    this.#fifoFd = fd;
    if (this.#listeners.size > 0) {
      this.#native.stopWait();
      this.#startWait();
    }
    return this;
  }

  /** Makes a pending wait keep the event loop alive. */
  ref(): this {
    this.#checkOpen();
    this.#native.ref();
    return this;
  }

  /** Lets the process exit while a wait is pending (the default). */
  unref(): this {
    this.#checkOpen();
    this.#native.unref();
    return this;
  }

  stats(): ReaderStats {
    this.#checkOpen();
    return this.#native.stats();
  }

  /** Stops and joins the waiter thread and unmaps the ring; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#native.close();
    if (this.#fifoFd >= 0) closeSync(this.#fifoFd);
    this.#fifoFd = -1;
  }

  #setPrefetch(): void {
    this.#native.setPrefetch(this.#scratch, this.#metas, this.#offsets, this.#out, Math.min(this.#metas.length / 2, this.#offsets.length - 1));
  }

  #startWait(): void {
    const callback = (): void => this.#dispatch();
    // NIX_BTM_RING_WAIT=thread or io_uring asks for that futex wait, FIFO or not.
    const mode = waitMode();
    if (this.#fifoFd >= 0 && mode === 'auto') this.#native.startWait(callback, 'fifo', this.#fifoFd);
    else this.#native.startWait(callback, mode);
  }

  #records(count: number, firstSeq: number): RingRecord[] {
    const metas = this.#metas;
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += metas[2 * i + 1] ?? 0;
    const data = Buffer.allocUnsafe(bytes);
    data.set(this.#scratch.subarray(0, bytes));
    const records = new Array<RingRecord>(count);
    let offset = data.byteOffset;
    for (let i = 0; i < count; i++) {
      const length = metas[2 * i + 1] ?? 0;
      // new Uint8Array(buffer, ...) is about twice as fast as subarray(), and read() is per record.
      records[i] = { seq: firstSeq + i, kind: metas[2 * i] ?? 0, payload: new Uint8Array(data.buffer, offset, length) };
      offset += length;
    }
    return records;
  }

  #dispatch(): void {
    if (this.#closed) return;
    // One listener (the usual case) without copying the set: this runs on every wake-up.
    if (this.#listeners.size === 1) {
      this.#listeners.values().next().value?.();
      return;
    }
    for (const listener of [...this.#listeners]) listener();
  }

  #busy(): Error {
    return new Error(`ring ${this.path}: the writer kept overwriting the records being read (${BUSY_ATTEMPTS} attempts)`);
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('ring reader is closed');
  }
}
