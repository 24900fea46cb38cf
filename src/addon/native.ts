// The only module that loads build/Release/nix_btm_native.node; the types describe the addon's surface
// (native/*_addon.cc). Nothing here validates: src/ring/ring.ts (and src/daemon/peer.ts, owner.ts, signals.ts for the process calls) do.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

/** native RingWriter: new RingWriter(path, capacityBytes, maxRecordBytes, mode, gid (-1: keep)). */
export type NativeRingWriter = {
  append(kind: number, payload: Uint8Array): number;
  /** `count` records whose payloads lie back to back in data, metas = [kind, length]*; returns the first seq. */
  appendBatch(data: Uint8Array, metas: Uint32Array, count: number, wake?: boolean): number;
  /** One FUTEX_WAKE for the records appended since the last (append itself wakes only every 1024 records). */
  wake(): void;
  /** A reader's wake FIFO opened for writing (O_NONBLOCK): the writer keeps a duplicate (returned) and writes a byte per wake. */
  addWakeFd(fd: number): number;
  /** The duplicates whose reader still holds its FIFO (as of the last wake). */
  wakeFds(): number[];
  nextSeq(): number;
  close(): void;
};

/** Read outcome codes returned by NativeRingReader.read. */
export const READ_OK = 0;
export const READ_BEYOND_END = 1;
export const READ_CORRUPT = 2;
export const READ_BUSY = 3;

/** native RingReader: new RingReader(path). */
export type NativeRingReader = {
  /**
   * Packs payloads into dest, [kind, length] pairs into metas; out = [count, firstSeq, nextSeq, lostFrom|-1, lostTo];
   * offsets (maxRecords + 1 entries), if given: each payload's offset in dest, then the end of the last.
   */
  read(fromSeq: number, dest: Uint8Array, metas: Uint32Array, maxRecords: number, out: Float64Array, offsets?: Uint32Array): number;
  /**
   * The buffers readBlock() reads into (out: 6 entries): an event-loop wait reads the records after the last read
   * into them just before its callback and sets out[5] to their fromSeq.
   */
  setPrefetch(dest: Uint8Array, metas: Uint32Array, offsets: Uint32Array, out: Float64Array, maxRecords: number): void;
  nextSeq(): number;
  /** -1 when the writer kept overwriting the oldest record while it was being looked at. */
  oldestSeq(): number;
  writerAlive(): boolean;
  info(): { capacityBytes: number; maxRecordBytes: number; writerPid: number };
  stats(): { records: number; lost: number; discardedAfterCopy: number; spins: number; spinHits: number; fifoWakes: number; lastSeenNs: number; lastCallNs: number;
    wait: 'io_uring' | 'thread' | 'fifo' | 'none'; waitFallback: string };
  /**
   * callback() runs once per burst of new records (coalesced), and once when the writer closes or dies. mode
   * 'auto': io_uring in the event loop where it works, else a waiter thread; 'thread'; 'io_uring' (or throw).
   */
  startWait(callback: () => void, mode: 'auto' | 'thread' | 'io_uring'): void;
  /** The same, polling a wake FIFO's read end (the addon keeps a duplicate of fifoFd). */
  startWait(callback: () => void, mode: 'fifo', fifoFd: number): void;
  stopWait(): void;
  ref(): void;
  unref(): void;
  close(): void;
};

/** The layout constants the addon was compiled with (native/ring_layout.h). */
export type NativeLayout = {
  readonly magic: bigint;
  readonly [name: string]: unknown;
};

export type NativeAddon = {
  readonly layout: NativeLayout;
  readonly RingWriter: new (path: string, capacityBytes: number, maxRecordBytes: number, mode: number, gid: number) =>
    NativeRingWriter;
  readonly RingReader: new (path: string) => NativeRingReader;
  /** mkfifo(3); throws with `code` (EEXIST, ...). */
  makeFifo(path: string, mode: number): void;
  /** Waiter threads running in this thread's environment (main thread or worker). */
  activeWaiters(): number;
  /** SO_PEERCRED of a connected unix socket fd (native/peer_addon.cc); throws with `code` on failure. */
  peerCred(fd: number): { pid: number; uid: number; gid: number };
  /** pidfd_open(2): a handle on that very process; close it with fs.closeSync. Throws with `code`. */
  pidfdOpen(pid: number): number;
  /** pidfd_send_signal(2); signal 0 only checks the process still exists. Throws with `code` (ESRCH: gone). */
  pidfdSendSignal(pidfd: number, signal: number): void;
  /**
   * SO_PEERCRED, SO_ACCEPTCONN and the bound name of socket `fd` of the process behind `pidfd` (pidfd_getfd(2):
   * needs ptrace rights over it). Throws with `code`.
   */
  socketPeer(pidfd: number, fd: number): { pid: number; uid: number; gid: number; listening: boolean; path: string };
  /** sched_setattr(2) on the calling thread: an EEVDF slice of `us` (100..100000); false when the kernel refused. */
  shortSlices(us: number): boolean;
};

let loaded: NativeAddon | undefined;

/** The addon, loaded on first use; throws one error naming the file and the fix when it is missing or broken. */
export function loadNative(): NativeAddon {
  if (loaded) return loaded;
  const path = join(packageRoot(), 'build', 'Release', 'nix_btm_native.node');
  try {
    loaded = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (cause) {
    const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new Error(`cannot load the nix-btm native addon ${path} (${why}): run \`npm ci\` or \`npm run build\``, {
      cause,
    });
  }
  return loaded;
}
