// A ring record of kind RECORD_KIND_NIX_LINE: one `nix` event as the line Nix wrote, not as the daemon decoded it.
// Nine in ten events are a decoded Nix line; writing the line as it came (behind the event's time and source) costs
// the daemon a copy instead of a JSON encoding of the decoded record (npm run bench, key `e2e`), and the client
// runs the daemon's own decoder (src/ingest/decode.ts, pure and total) on the same text, so both hold the same
// record. The decoder is therefore part of the wire: tests/protocol/nix-line.test.ts pins what it gives for the
// real captures, and a change to that bumps EVENT_VERSION (a client and a daemon of different versions are refused
// at hello). Payload: `<at>\t<source>\t<line>` in UTF-8, `at` in JavaScript's own number syntax, empty for null.
import { decodeLine } from '../ingest/decode.js';
import type { RecordBatch } from '../ring/ring.js';
import type { BtmEvent } from '../state/events.js';
import type { Decoded } from './events.js';

/** Ring record kind of one `nix` event as its source line (this file); kind 1 is a JSON-encoded event. */
export const RECORD_KIND_NIX_LINE = 2;

const TAB = 9;

/**
 * Stages `event`, which was decoded from `line`, as its line; false (nothing staged) when it cannot go as one: not
 * a `nix` event, a record the decoder refused (its JSON event is smaller: a sample, not the line), a source id with
 * a tab, a line that UTF-8 would not carry exactly (a lone surrogate, possible in a feed's JSON `{line}`), or a
 * record over the ring's limit. The caller then encodes the event as JSON.
 */
export function encodeNixLine(event: BtmEvent, line: string, batch: RecordBatch): boolean {
  if (event.kind !== 'nix' || event.record.kind === 'invalid') return false;
  const { at, source } = event;
  if ((at !== null && !Number.isFinite(at)) || source === '' || source.includes('\t') || !line.isWellFormed()) return false;
  // The lines of one chunk share their time and source: their header is formatted once.
  if (at !== lastAt || source !== lastSource) {
    lastAt = at;
    lastSource = source;
    lastHead = `${at === null ? '' : at}\t${source}\t`;
  }
  return batch.addStrings(lastHead, line, RECORD_KIND_NIX_LINE);
}

// The last header formatted, a memo only: any (at, source) gives the same bytes with or without it.
let lastAt: number | null = null;
let lastSource = '';
let lastHead = '\t\t';

/** The event of the payload data[start .. end), decoded as the daemon decoded it; or why it is not one. */
export function decodeNixLine(data: Buffer, start: number, end: number): Decoded {
  const t1 = data.indexOf(TAB, start);
  const t2 = t1 < 0 || t1 >= end ? -1 : data.indexOf(TAB, t1 + 1);
  if (t2 < 0 || t2 >= end || t2 === t1 + 1) return { ok: false, reason: 'a Nix line record without its time and source' };
  let at: number | null = null;
  if (t1 > start) {
    at = Number(data.toString('latin1', start, t1));
    if (!Number.isFinite(at)) return { ok: false, reason: `a Nix line record with a bad time (${data.toString('latin1', start, Math.min(t1, start + 40))})` };
  }
  const source = data.toString('utf8', t1 + 1, t2);
  return { ok: true, event: { kind: 'nix', at, source, record: decodeLine(data.toString('utf8', t2 + 1, end)) } };
}
