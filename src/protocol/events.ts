// The one owner of events on the wire (daemon -> ring -> clients). A ring record of kind RECORD_KIND_EVENT holds one
// BtmEvent as UTF-8 JSON; one of kind RECORD_KIND_NIX_LINE a `nix` event as the line Nix wrote (nix-line.ts). Encoding stages the record in a RecordBatch (one native append per batch, see
// bench/protocol-bench.ts for why JSON per record); decoding checks the record kind, parses and checks the event's
// shape (event-shape.ts). Neither side throws: the daemon refuses what it cannot encode, a client counts and reports
// what does not decode.
import type { RecordBatch } from '../ring/ring.js';
import type { BtmEvent } from '../state/events.js';
import { checkEvent } from './event-shape.js';
import { decodeNixLine, RECORD_KIND_NIX_LINE } from './nix-line.js';

/** Ring record kind of one JSON-encoded BtmEvent. Any other kind is refused by decodeRecord. */
export const RECORD_KIND_EVENT = 1;

export type Encoded = { readonly ok: true } | { readonly ok: false; readonly reason: string };
export type Decoded = { readonly ok: true; readonly event: BtmEvent } | { readonly ok: false; readonly reason: string };

/** One object for every success: encoding runs once per event, and its answer carries nothing else. */
export const ENCODED: Encoded = Object.freeze({ ok: true });

/** Stages `event` as one record in `batch` (of kind RECORD_KIND_EVENT); refuses it, staging nothing, if it cannot be. */
export function encodeEvent(event: BtmEvent, batch: RecordBatch): Encoded {
  let text: string;
  try {
    text = encodeResult(event) ?? JSON.stringify(event);
  } catch (err) {
    // Ingest bounds what peers send (depth, numbers); this is the net under anything it missed.
    return { ok: false, reason: `cannot encode a ${String(event.kind)} event: ${(err as Error).message}` };
  }
  if (batch.addString(text)) return ENCODED;
  return { ok: false, reason: `a ${event.kind} event of ${Buffer.byteLength(text)} bytes is over the ring record limit ${batch.maxRecordBytes}` };
}

/**
 * The commonest event (nine in ten of a build's: log lines, phases, progress) written from a template, the same
 * text as JSON.stringify gives for the decoder's key order (tests/protocol/events.test.ts checks it on a real
 * capture) in about 70% of its time, since only the source and the fields go through JSON.stringify. Anything
 * else, or a value JSON would write otherwise (a non-finite number), returns null and takes JSON.stringify.
 */
export function encodeResult(event: BtmEvent): string | null {
  if (event.kind !== 'nix') return null;
  const r = event.record;
  if (r.kind !== 'result' || r.payload !== undefined || !Number.isFinite(r.type) || !Array.isArray(r.fields)) return null;
  const at = event.at;
  if (at !== null && !Number.isFinite(at)) return null;
  return `{"kind":"nix","at":${at},"source":${JSON.stringify(event.source)},"record":{"kind":"result","id":${JSON.stringify(r.id)},"type":${r.type},"fields":${JSON.stringify(r.fields)}}}`;
}

/** An event's record already as text (the proxy's wire carries the ring's payload as is): no bytes round trip. */
export function decodeEventText(text: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `a ring record that is not JSON (${(err as Error).message.slice(0, 80)})` };
  }
  return checkEvent(value);
}

export type DecodedBatch = { readonly ok: true; readonly events: BtmEvent[] } | { readonly ok: false; readonly reason: string };

/**
 * A JSON array of event records (the proxy's batch framing: one line per ring read), each checked as a record on
 * its own is: one parse for the whole batch instead of one per event.
 */
export function decodeEventArray(text: string): DecodedBatch {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `a batch of records that is not JSON (${(err as Error).message.slice(0, 80)})` };
  }
  if (!Array.isArray(value)) return { ok: false, reason: 'a batch of records that is not a JSON array' };
  const events: BtmEvent[] = new Array<BtmEvent>(value.length);
  for (let i = 0; i < value.length; i++) {
    const d = checkEvent(value[i]);
    if (!d.ok) return { ok: false, reason: `record ${i} of a batch: ${d.reason}` };
    events[i] = d.event;
  }
  return { ok: true, events };
}

/** One ring record back into an event, or why it is not one (another kind, not UTF-8 JSON, not an event's shape). */
export function decodeRecord(kind: number, payload: Uint8Array): Decoded {
  return decodeRecordAt(kind, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), 0, payload.byteLength);
}

/** decodeRecord of the payload data[start .. end) (a RingReader.readBlock(): no view per record). */
export function decodeRecordAt(kind: number, data: Buffer, start: number, end: number): Decoded {
  if (kind === RECORD_KIND_EVENT) return decodeEventText(data.toString('utf8', start, end));
  if (kind === RECORD_KIND_NIX_LINE) return decodeNixLine(data, start, end);
  return { ok: false, reason: `a ring record of kind ${kind}, not an event (${RECORD_KIND_EVENT}) nor a Nix line (${RECORD_KIND_NIX_LINE})` };
}
