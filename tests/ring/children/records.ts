// Deterministic record contents shared by the ring tests and their child processes: the payload of a sequence
// number is fixed, so any reader can check every byte, and a checksum guards the whole.

/** Payload lengths vary between these (inclusive), so records wrap at every offset. */
export type Sizes = { readonly minBytes: number; readonly maxBytes: number };

export const kindOf = (seq: number): number => seq % 1000;

function lengthOf(seq: number, sizes: Sizes): number {
  const span = sizes.maxBytes - sizes.minBytes + 1;
  return sizes.minBytes + ((Math.imul(seq, 0x9e3779b1) >>> 0) % span);
}

/** FNV-1a over bytes [8, end). */
function checksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 8; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] ?? 0), 0x01000193) >>> 0;
  return h;
}

/** [seq u32 LE][checksum u32 LE][pseudo-random bytes from seq]; minBytes must be at least 8. */
export function payloadOf(seq: number, sizes: Sizes): Uint8Array {
  const bytes = new Uint8Array(lengthOf(seq, sizes));
  const view = new DataView(bytes.buffer);
  let x = (seq ^ 0x9e3779b9) >>> 0 || 1;
  for (let i = 8; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  view.setUint32(0, seq >>> 0, true);
  view.setUint32(4, checksum(bytes), true);
  return bytes;
}

/** Null when the record is exactly what the writer wrote for seq, else what is wrong. */
export function checkRecord(rec: { seq: number; kind: number; payload: Uint8Array }, sizes: Sizes): string | null {
  const { seq, kind, payload } = rec;
  if (kind !== kindOf(seq)) return `seq ${seq}: kind ${kind}, expected ${kindOf(seq)}`;
  if (payload.length !== lengthOf(seq, sizes)) return `seq ${seq}: ${payload.length} bytes, expected ${lengthOf(seq, sizes)}`;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (view.getUint32(0, true) !== seq >>> 0) return `seq ${seq}: payload belongs to seq ${view.getUint32(0, true)}`;
  if (view.getUint32(4, true) !== checksum(payload)) return `seq ${seq}: checksum mismatch (torn record)`;
  const expected = payloadOf(seq, sizes);
  for (let i = 0; i < expected.length; i++) if (expected[i] !== payload[i]) return `seq ${seq}: byte ${i} differs`;
  return null;
}
