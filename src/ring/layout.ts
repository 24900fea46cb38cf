// TS mirror of native/ring_layout.h. tests/ring/layout.test.ts checks it against what the addon was compiled with.

/** Constants and byte offsets of the shared-memory ring file (see docs/ring.md). */
export const RING_LAYOUT = {
  /** "XNTBRNG1" read as a little-endian u64 at offset 0. */
  magic: 0x31474e5242544e58n,
  /** Bumped on any change to the layout. */
  version: 2,
  /** The data area starts at this offset, on its own page. */
  headerBytes: 4096,
  /** sizeof(RecordHeader): seq u64, length u32, kind u32. */
  recordHeaderBytes: 16,
  /** Every record starts on a multiple of this logical position. */
  recordAlign: 8,
  /** Smallest data area in bytes (power of two). */
  minCapacity: 4096,
  /** Largest data area in bytes (power of two). */
  maxCapacity: 1073741824,
  /** maxRecordBytes may be at most capacityBytes / maxRecordDivisor. */
  maxRecordDivisor: 4,
  /** writer_state while the writer may append. */
  writerOpen: 1,
  /** writer_state after a clean close. */
  writerClosed: 2,
  /** sizeof(RingHeader). */
  headerStructBytes: 192,
  /** offsetof() of each RingHeader / RecordHeader field. */
  offsets: {
    magic: 0,
    version: 8,
    headerBytes: 12,
    capacity: 16,
    maxRecordBytes: 24,
    writerPid: 28,
    writerStartTicks: 32,
    writerState: 40,
    reservePos: 64,
    writePos: 72,
    nextSeq: 80,
    tailPos: 88,
    lastPos: 96,
    futexWord: 128,
    recordSeq: 0,
    recordLength: 8,
    recordKind: 12,
  },
} as const;

/** Bytes a record with `length` payload bytes occupies in the ring (header plus payload, padded). */
export function recordBytes(length: number): number {
  const { recordHeaderBytes, recordAlign } = RING_LAYOUT;
  return Math.ceil((recordHeaderBytes + length) / recordAlign) * recordAlign;
}
