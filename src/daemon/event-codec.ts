// One BtmEvent <-> one ring record, for the publisher and every client. Neither side may throw on an event: the
// daemon refuses (counts and reports) what it cannot encode, and a client skips what it cannot decode.
import type { BtmEvent } from '../state/events.js';

export type Encoded = { readonly ok: true; readonly payload: Buffer } | { readonly ok: false; readonly reason: string };

export function encodeEvent(event: BtmEvent, maxBytes: number): Encoded {
  let text: string;
  try {
    text = JSON.stringify(event);
  } catch (err) {
    // Decoding bounds what peers send (depth, numbers); this is the net under anything it missed.
    return { ok: false, reason: `cannot encode a ${String(event.kind)} event: ${(err as Error).message}` };
  }
  const payload = Buffer.from(text);
  if (payload.length > maxBytes) {
    return { ok: false, reason: `a ${event.kind} event of ${payload.length} bytes is over the ring record limit ${maxBytes}` };
  }
  return { ok: true, payload };
}

export function decodeEvent(payload: Uint8Array): BtmEvent | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
    return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string' ? value as BtmEvent : null;
  } catch {
    return null;
  }
}
