// The writing end of a ring: one per ring, in the daemon. Appending never waits for readers.
import { loadNative, type NativeRingWriter } from '../addon/native.js';
import { WakeFifos } from './wake-fifo.js';
import { checkCapacity, checkGid, checkKind, checkMaxRecord, checkMode, checkObject, checkPath, checkPayload, describe } from './validate.js';

/** Options of createRing(). */
export type CreateRingOptions = {
  /** Absolute path of the ring file, e.g. under $XDG_RUNTIME_DIR or /dev/shm; an existing file is replaced. */
  readonly path: string;
  /** Size of the data area: a power of two between 4096 and 1073741824. */
  readonly capacityBytes: number;
  /** Largest payload append() accepts: between 1 and capacityBytes / 4. */
  readonly maxRecordBytes: number;
  /** File mode, default 0o640; group or other write is refused: only the writer may write the ring (docs/ring.md). */
  readonly mode?: number;
  /** Group that may read the ring; default: the creating process's group. */
  readonly gid?: number;
};

export const DEFAULT_RING_MODE = 0o640;

export class RingWriter {
  /** Path the ring was created at. */
  readonly path: string;
  readonly capacityBytes: number;
  readonly maxRecordBytes: number;
  readonly #native: NativeRingWriter;
  readonly #fifos: WakeFifos;
  #closed = false;
  #wakeQueued = false;
  // Readers cannot tell the writer whether they sleep (they only read the file), so the writer wakes them once per
  // burst: after the synchronous code that appended, before any I/O callback runs.
  readonly #wake = (): void => {
    this.#wakeQueued = false;
    if (!this.#closed) this.#native.wake();
  };

  /** Creates (or replaces) the ring file; readers attach with openRing(path). */
  constructor(options: CreateRingOptions) {
    const o = checkObject('createRing options', options);
    this.path = checkPath(o.path);
    this.capacityBytes = checkCapacity(o.capacityBytes);
    this.maxRecordBytes = checkMaxRecord(o.maxRecordBytes, this.capacityBytes);
    const mode = o.mode === undefined ? DEFAULT_RING_MODE : checkMode(o.mode);
    const gid = o.gid === undefined ? -1 : checkGid(o.gid);
    const { RingWriter: Native } = loadNative();
    this.#native = new Native(this.path, this.capacityBytes, this.maxRecordBytes, mode, gid);
    this.#fifos = new WakeFifos(this.#native);
  }

  /** Sequence number the next append() returns. */
  get nextSeq(): number {
    this.#checkOpen();
    return this.#native.nextSeq();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Publishes one record and returns its sequence number; sleeping readers are woken once the current job ends. */
  append(kind: number, payload: Uint8Array | string): number {
    this.#checkOpen();
    // Fast paths first; the check functions run (and throw their exact message) only for unusual arguments.
    if ((kind >>> 0) !== kind) checkKind(kind);
    const ok = payload instanceof Uint8Array && payload.byteLength <= this.maxRecordBytes;
    const seq = this.#native.append(kind, ok ? payload : checkPayload(payload, this.maxRecordBytes));
    if (!this.#wakeQueued) {
      this.#wakeQueued = true;
      queueMicrotask(this.#wake);
    }
    return seq;
  }

  /**
   * Publishes `count` records in one native call: record i has kind metas[2i] and is the next metas[2i+1] bytes of
   * data (RecordBatch stages them). Returns the first record's sequence number. All or nothing: a length over
   * maxRecordBytes, or lengths that add up to more than data holds, throw before anything is published. Readers
   * are woken once, at the end; with `wake` false not (but every 1,024 records still): the caller calls wake() once
   * its burst is over, as a reader sleeping through the records would otherwise not see them.
   */
  appendBatch(data: Uint8Array, metas: Uint32Array, count: number, wake = true): number {
    this.#checkOpen();
    if (!(data instanceof Uint8Array)) checkPayload(data, this.maxRecordBytes);
    if (!(metas instanceof Uint32Array)) throw new TypeError(`metas must be a Uint32Array, got ${describe(metas)}`);
    if (!Number.isInteger(count) || count < 0 || 2 * count > metas.length) {
      throw new RangeError(`count must be an integer between 0 and metas.length / 2 (${metas.length / 2}), got ${describe(count)}`);
    }
    try {
      return this.#native.appendBatch(data, metas, count, wake === true);
    } catch (err) {
      throw new RangeError(`appendBatch: ${(err as Error).message} (maxRecordBytes ${this.maxRecordBytes}, data ${data.byteLength} bytes)`);
    }
  }

  /** Wakes the readers sleeping on the ring if anything was published since the last wake; idempotent. */
  wake(): void {
    this.#checkOpen();
    this.#native.wake();
  }

  /**
   * Makes a wake FIFO at `path` (mode 0600; the directory must be writable by this process only) for one reader of
   * this process's own user, which passes it to RingReader.wakeBy(). Never for another user: whoever holds a pipe's
   * read end can make its writer sleep, unkillable, in write() (docs/ring.md). Once that reader has opened it
   * (looked for at doubling gaps), every wake also writes a byte to it; until then, and if it is never opened
   * (unlinked after `timeoutMs`), the reader is woken like any other. Throws (EEXIST, ...) when it cannot be made.
   */
  offerWakeFifo(path: string, timeoutMs = 10_000): void {
    this.#checkOpen();
    this.#fifos.offer(checkPath(path), timeoutMs);
  }

  /** Told why an offered wake FIFO was not adopted (it could not be opened, or was not the one made). */
  set onWakeFifoError(f: ((message: string) => void) | null) {
    this.#fifos.onError = f;
  }

  /** Wake FIFOs offered and not opened yet, and those adopted whose reader still holds them. */
  get wakeFifos(): { readonly offered: number; readonly adopted: number } {
    return { offered: this.#fifos.pending, adopted: this.#fifos.adopted };
  }

  /** Wake FIFOs offered or adopted (and still held) that `uid` owns: what a limit per user counts. */
  wakeFifosOf(uid: number): number {
    return this.#fifos.countOf(uid);
  }

  /** Marks the ring closed (readers see writerAlive() === false and get one wake-up); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fifos.close();
    this.#native.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('ring writer is closed');
  }
}
