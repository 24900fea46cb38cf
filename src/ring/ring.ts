// Public API of the shared-memory ring (docs/ring.md): one writer (the daemon), any number of readers in other
// processes. Sequence numbers are JS numbers: at 10 million records a second, 2^53 takes 28 years.
import { RingReader } from './reader.js';
import { RingWriter, type CreateRingOptions } from './writer.js';

export { RecordBatch } from './batch.js';
export { RING_LAYOUT, recordBytes } from './layout.js';
export { MAX_READ_RECORDS } from './validate.js';
export { openWakeFifo, RingCorruptError, RingReader, type WakeFifoFd, type LostRange, type ReadResult, type ReaderStats, type RecordBlock, type RingRecord } from './reader.js';
export { DEFAULT_RING_MODE, RingWriter, type CreateRingOptions } from './writer.js';

/** Creates (or atomically replaces) the ring file at options.path and returns its writer. */
export function createRing(options: CreateRingOptions): RingWriter {
  return new RingWriter(options);
}

/** Attaches a reader to an existing ring file. */
export function openRing(path: string): RingReader {
  return new RingReader(path);
}
