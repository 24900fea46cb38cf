// The event wire format, measured to choose it (src/protocol/events.ts): the daemon's cost to put a real stream's
// events into a ring, and a client's cost to take them out, for the candidates, alternating in one run:
//   per-record  JSON per event, one append() per event (what the daemon did before src/protocol)
//   batched     JSON per event staged in a RecordBatch, one appendBatch() per 256 events (what it does now)
//   array       one record per 256 events, a JSON array of them (fewer records, one parse per batch)
//   lines       each event as the Nix line it was decoded from (src/protocol/nix-line.ts), staged, appendBatch()
//               per 256 (what the daemon does now); the client decodes the line with the daemon's decoder
// Decoding: the client's decodeRecord (kind check, JSON.parse, shape check) against JSON.parse with a cast (before).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDecoder } from '../src/ingest/decode.js';
import { packageRoot } from '../src/addon/package-root.js';
import { decodeRecord, encodeEvent, RECORD_KIND_EVENT } from '../src/protocol/events.js';
import { encodeNixLine } from '../src/protocol/nix-line.js';
import { createRing, openRing, RecordBatch, type RingReader, type RingWriter } from '../src/ring/ring.js';
import type { BtmEvent } from '../src/state/events.js';
import type { Benchmark } from './index.js';
import { median, round } from './stats.js';

const CAPTURE = 'tests/fixtures/captures/log-daemon-root-graph-success.jsonl';
const EVENTS = 60_000;
const BATCH = 256;
const ROUNDS = 7;

/** EVENTS real nix events, each with the line it was decoded from. */
function events(): { events: BtmEvent[]; lines: string[] } {
  const capture = readFileSync(join(packageRoot(), CAPTURE), 'utf8').split('\n').filter((l) => l !== '');
  const out: BtmEvent[] = [];
  const lines: string[] = [];
  const decoder = createDecoder();
  while (out.length < EVENTS) {
    for (const l of capture) {
      out.push({ kind: 'nix', at: 1_764_590_000_000 + out.length, source: 'nix:4242:1', record: decoder.decode(l) });
      lines.push(l);
    }
  }
  return { events: out.slice(0, EVENTS), lines: lines.slice(0, EVENTS) };
}

const nsPerEvent = (fn: () => void): number => {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / EVENTS;
};

/** Everything from `from` on, as [kind, payload] pairs (copied out of the reader's buffer). */
function drain(reader: RingReader, from: number, use: (kind: number, payload: Uint8Array) => void): void {
  for (let seq = from; ;) {
    const r = reader.read(seq);
    if (r.lost) throw new Error(`protocol bench reader lapped: ${r.lost.from}..${r.lost.to}`);
    for (const rec of r.records) use(rec.kind, rec.payload);
    seq = r.nextSeq;
    if (r.records.length === 0) return;
  }
}

type Candidate = { readonly encode: (w: RingWriter) => void; readonly decode: (kind: number, p: Uint8Array) => number };

type Name = 'perRecord' | 'batched' | 'array' | 'lines';

function candidates(all: BtmEvent[], lines: string[], maxRecordBytes: number): Record<Name, Candidate> {
  const batch = new RecordBatch(RECORD_KIND_EVENT, maxRecordBytes);
  const castParse = (_kind: number, p: Uint8Array): number => (JSON.parse(Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('utf8')) as BtmEvent[]).length;
  return {
    perRecord: {
      encode: (w) => { for (const e of all) w.append(RECORD_KIND_EVENT, Buffer.from(JSON.stringify(e))); },
      decode: (_k, p) => (JSON.parse(Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('utf8')) as BtmEvent).kind.length,
    },
    batched: {
      encode: (w) => {
        for (let i = 0; i < all.length; i++) {
          encodeEvent(all[i]!, batch);
          if (batch.count === BATCH) batch.flush(w);
        }
        batch.flush(w);
      },
      decode: (k, p) => (decodeRecord(k, p).ok ? 1 : 0),
    },
    array: {
      encode: (w) => { for (let i = 0; i < all.length; i += BATCH) w.append(9, Buffer.from(JSON.stringify(all.slice(i, i + BATCH)))); },
      decode: castParse,
    },
    lines: {
      encode: (w) => {
        for (let i = 0; i < all.length; i++) {
          if (!encodeNixLine(all[i]!, lines[i]!, batch)) encodeEvent(all[i]!, batch);
          if (batch.count === BATCH) batch.flush(w);
        }
        batch.flush(w);
      },
      decode: (k, p) => (decodeRecord(k, p).ok ? 1 : 0),
    },
  };
}

async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), 'nix-btm-protocol-bench-'));
  try {
    const { events: all, lines } = events();
    const bytes = all.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);
    const writer = createRing({ path: join(dir, 'ring'), capacityBytes: 1 << 26, maxRecordBytes: 1 << 22 });
    const reader = openRing(join(dir, 'ring'));
    const c = candidates(all, lines, writer.maxRecordBytes);
    const enc: Record<Name, number[]> = { perRecord: [], batched: [], array: [], lines: [] };
    const dec: Record<Name, number[]> = { perRecord: [], batched: [], array: [], lines: [] };
    let sink = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of ['perRecord', 'batched', 'array', 'lines'] as const) {
        const from = writer.nextSeq;
        enc[name].push(nsPerEvent(() => c[name].encode(writer)));
        const records: [number, Uint8Array][] = [];
        drain(reader, from, (k, p) => records.push([k, p]));
        dec[name].push(nsPerEvent(() => { for (const [k, p] of records) sink += c[name].decode(k, p); }));
      }
    }
    if (sink === 0) throw new Error('nothing decoded');
    reader.close();
    writer.close();
    const m = (xs: number[]): number => round(median(xs), 0);
    const figures = {
      events: EVENTS, bytesPerEvent: Math.round(bytes / EVENTS),
      perRecordEncodeNsPerEvent: m(enc.perRecord), batchedEncodeNsPerEvent: m(enc.batched), arrayEncodeNsPerEvent: m(enc.array),
      encodeRatioBatchedToPerRecord: round(median(enc.batched) / median(enc.perRecord)),
      castDecodeNsPerEvent: m(dec.perRecord), validatedDecodeNsPerEvent: m(dec.batched), arrayDecodeNsPerEvent: m(dec.array),
      decodeRatioValidatedToCast: round(median(dec.batched) / median(dec.perRecord)),
      lineEncodeNsPerEvent: m(enc.lines), lineDecodeNsPerEvent: m(dec.lines),
      encodeRatioLinesToBatched: round(median(enc.lines) / median(enc.batched)),
      decodeRatioLinesToValidated: round(median(dec.lines) / median(dec.batched)),
    };
    log(`${EVENTS} real nix events (${figures.bytesPerEvent} bytes of JSON each), median of ${ROUNDS} rounds, ns per event:`);
    log(`  encode into the ring: JSON + append() each ${figures.perRecordEncodeNsPerEvent}, JSON staged + appendBatch() per ${BATCH} ` +
      `${figures.batchedEncodeNsPerEvent} (ratio ${figures.encodeRatioBatchedToPerRecord}), JSON array per ${BATCH} ${figures.arrayEncodeNsPerEvent}`);
    log(`  decode: JSON.parse + cast ${figures.castDecodeNsPerEvent}, decodeRecord (kind, JSON, shape checked) ` +
      `${figures.validatedDecodeNsPerEvent} (ratio ${figures.decodeRatioValidatedToCast}), JSON array per ${BATCH} ${figures.arrayDecodeNsPerEvent}`);
    log(`  Nix line records (what the daemon writes now): encode ${figures.lineEncodeNsPerEvent} (ratio to JSON staged ` +
      `${figures.encodeRatioLinesToBatched}), decode ${figures.lineDecodeNsPerEvent} (ratio to decodeRecord of JSON ${figures.decodeRatioLinesToValidated})`);
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = { name: 'protocol', run };
