// Child process: creates a ring and writes the deterministic records of records.ts.
// mode "burst": all `count` records at once; "paced": `batch` records every `intervalMs`;
// "flow": only up to the sequence the parent allows ({ allow }), so readers can never be lapped.
// Messages in: { allow }, { close }, { exit }. Out: { ready }, { wrote }, { done }, { closed }.
// `wakeFifo`: a wake FIFO offered there before anything is written.
import { createRing, RecordBatch } from '../../../src/ring/ring.js';
import { kindOf, payloadOf, type Sizes } from './records.js';

type Options = {
  readonly path: string;
  readonly capacityBytes: number;
  readonly maxRecordBytes: number;
  readonly sizes: Sizes;
  readonly count: number;
  readonly mode: 'burst' | 'paced' | 'flow';
  readonly batch?: number;
  readonly intervalMs?: number;
  /** Publish through RecordBatch/appendBatch, this many records per native call (default: one append() each). */
  readonly appendBatch?: number;
  /** Offer a wake FIFO there first (RingWriter.offerWakeFifo), for the parent's reader. */
  readonly wakeFifo?: string;
};

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const send = (m: unknown): void => {
  if (process.connected) process.send?.(m);
};
const writer = createRing({ path: o.path, capacityBytes: o.capacityBytes, maxRecordBytes: o.maxRecordBytes });
if (o.wakeFifo) writer.offerWakeFifo(o.wakeFifo);
let seq = 0;

function writeUpTo(limit: number): void {
  const end = Math.min(limit, o.count);
  if (seq >= end) return;
  while (seq < end) {
    if (o.appendBatch) {
      const batch = new RecordBatch(0, o.maxRecordBytes);
      const first = seq;
      while (seq < end && batch.count < o.appendBatch) {
        if (!batch.addBytes(payloadOf(seq, o.sizes), kindOf(seq))) throw new Error(`record ${seq} refused by RecordBatch`);
        seq++;
      }
      const got = batch.flush(writer);
      if (got !== first) throw new Error(`appendBatch returned ${got}, expected ${first}`);
      continue;
    }
    const got = writer.append(kindOf(seq), payloadOf(seq, o.sizes));
    if (got !== seq) throw new Error(`append returned ${got}, expected ${seq}`);
    seq++;
  }
  send({ wrote: seq });
  if (seq >= o.count) send({ done: seq });
}

process.on('message', (m: { allow?: number; close?: boolean; exit?: boolean }) => {
  if (m.allow !== undefined) writeUpTo(m.allow);
  if (m.close) {
    writer.close();
    send({ closed: true });
  }
  if (m.exit) process.exit(0);
});
process.on('disconnect', () => process.exit(0));

send({ ready: true, pid: process.pid });
if (o.mode === 'burst') writeUpTo(o.count);
if (o.mode === 'paced') {
  const timer = setInterval(() => {
    writeUpTo(seq + (o.batch ?? 100));
    if (seq >= o.count) clearInterval(timer);
  }, o.intervalMs ?? 2);
}
