// readBlock() against read(): the same records, lost ranges and errors, on random records through wraps and laps;
// and the wait through io_uring (this kernel has it) against the waiter thread.
import { writeSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RING_LAYOUT, RecordBatch, RingCorruptError, createRing, openRing, type RingReader, type RingWriter } from '../../src/ring/ring.js';
import { cleanChildren, ringDir, sleep } from './helpers.js';

let dir = '';
let n = 0;
const open: Array<RingWriter | RingReader> = [];

beforeAll(() => {
  dir = ringDir();
});

afterAll(() => {
  for (const x of open) x.close();
  cleanChildren(dir);
});

function ring(capacityBytes: number, maxRecordBytes: number): { writer: RingWriter; path: string } {
  const path = join(dir, `block-${n++}`);
  const writer = createRing({ path, capacityBytes, maxRecordBytes });
  open.push(writer);
  return { writer, path };
}

function reader(path: string): RingReader {
  const r = openRing(path);
  open.push(r);
  return r;
}

/** A deterministic generator (xorshift), so a failure replays. */
function random(seed: number): (below: number) => number {
  let x = seed >>> 0 || 1;
  return (below) => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x % below;
  };
}

type Seen = { lost?: { from: number; to: number }; nextSeq: number; records: { seq: number; kind: number; bytes: string }[] };

const viaRead = (r: RingReader, from: number, max: number): Seen => {
  const x = r.read(from, max);
  const records = x.records.map((rec) => ({ seq: rec.seq, kind: rec.kind, bytes: Buffer.from(rec.payload).toString('hex') }));
  return x.lost ? { lost: x.lost, nextSeq: x.nextSeq, records } : { nextSeq: x.nextSeq, records };
};

const viaBlock = (r: RingReader, from: number, max: number): Seen => {
  const b = r.readBlock(from, max);
  const records = [];
  for (let i = 0; i < b.count; i++) {
    const length = b.metas[2 * i + 1] ?? -1;
    expect(b.offsets[i + 1]! - b.offsets[i]!).toBe(length);
    records.push({ seq: b.firstSeq + i, kind: b.metas[2 * i] ?? -1, bytes: b.data.toString('hex', b.offsets[i], b.offsets[i + 1]) });
  }
  return b.lost ? { lost: b.lost, nextSeq: b.nextSeq, records } : { nextSeq: b.nextSeq, records };
};

describe('readBlock', () => {
  it.each([1, 2, 3])('returns what read() returns on random records, through wraps and laps (seed %i)', (seed) => {
    const rnd = random(seed * 7919);
    const { writer, path } = ring(4096, 1024);
    const a = reader(path);
    const b = reader(path);
    let seqA = 0;
    let seqB = 0;
    let records = 0;
    let lostRanges = 0;
    let wrapped = 0;
    const batch = new RecordBatch(1, writer.maxRecordBytes);
    for (let step = 0; step < 400; step++) {
      // Writes of 0..30 records of 0..max bytes, some single, some batched: the ring (4 KiB) wraps every few steps
      // and laps both readers whenever a step writes more than it holds.
      const count = rnd(31);
      for (let i = 0; i < count; i++) {
        const bytes = Buffer.alloc(rnd(4) === 0 ? rnd(1025) : rnd(120), rnd(256));
        if (bytes.length > 0) bytes.writeUInt8(step & 0xff, 0);
        const kind = rnd(5);
        if (rnd(2) === 0) writer.append(kind, bytes);
        else batch.addBytes(bytes, kind);
      }
      batch.flush(writer);
      const max = 1 + rnd(40);
      for (;;) {
        const x = viaRead(a, seqA, max);
        const y = viaBlock(b, seqB, max);
        expect(y).toEqual(x);
        records += x.records.length;
        if (x.lost) lostRanges++;
        seqA = x.nextSeq;
        seqB = y.nextSeq;
        if (x.records.length === 0 && !x.lost) break;
      }
      wrapped = Math.floor(writer.nextSeq / 50);
    }
    expect(seqA).toBe(writer.nextSeq);
    expect(records).toBeGreaterThan(1000);
    expect(lostRanges).toBeGreaterThan(5);
    expect(wrapped).toBeGreaterThan(10);
    expect(a.stats()).toMatchObject({ records: b.stats().records, lost: b.stats().lost });
  });

  it('a lapped reader gets the exact lost range, then the oldest records; the block\'s buffers are reused', () => {
    const { writer, path } = ring(4096, 1024);
    const r = reader(path);
    const payload = Buffer.alloc(48, 7); // 64 bytes a record: 64 fit in 4 KiB
    for (let i = 0; i < 200; i++) writer.append(1, payload);
    const first = r.readBlock(0, 1000);
    expect(first.lost).toEqual({ from: 0, to: 200 - 64 - 1 });
    expect(first).toMatchObject({ firstSeq: 200 - 64, count: 64, nextSeq: 200 });
    expect(first.data.subarray(first.offsets[0], first.offsets[64]).every((x) => x === 7)).toBe(true);
    writer.append(2, 'next');
    const second = r.readBlock(200);
    expect(second).toMatchObject({ firstSeq: 200, count: 1, nextSeq: 201 });
    expect(second.lost).toBeUndefined();
    expect(second.data).toBe(first.data); // one scratch buffer per reader
    expect(second.data.toString('utf8', second.offsets[0], second.offsets[1])).toBe('next');
    expect(second.metas[0]).toBe(2);
    expect(r.readBlock(201).count).toBe(0);
    expect(() => r.readBlock(202)).toThrow(new RangeError("fromSeq 202 is past the ring's next sequence 201"));
  });

  it('bad records throw RingCorruptError, as read() does', () => {
    const { writer, path } = ring(65536, 1024);
    for (let i = 0; i < 10; i++) writer.append(1, `record ${i}`);
    // The record header of seq 3 gets a length over maxRecordBytes (the ring's owner may write its file).
    const fd = openSync(path, 'r+');
    const at = RING_LAYOUT.headerBytes + 3 * 32 + 8;
    const bad = Buffer.alloc(4);
    bad.writeUInt32LE(1 << 20);
    writeSync(fd, bad, 0, 4, at);
    closeSync(fd);
    const a = reader(path);
    const b = reader(path);
    expect(() => a.read(0)).toThrow(RingCorruptError);
    expect(() => b.readBlock(0)).toThrow(RingCorruptError);
  });
});

describe('the wait', () => {
  it.each([['io_uring'], ['thread']])('through %s: one callback per burst, another turn for records that came while JS ran, the writer\'s close reported once', async (mode) => {
    const before = process.env.NIX_BTM_RING_WAIT;
    process.env.NIX_BTM_RING_WAIT = mode;
    const { writer, path } = ring(65536, 1024);
    const r = reader(path);
    let calls = 0;
    let seq = 0;
    let appendInside = 3;
    try {
      r.onReadable(() => {
        calls++;
        for (let b = r.readBlock(seq); b.count > 0; b = r.readBlock(seq)) seq = b.nextSeq;
        // Records published while the listener runs: the wait must come back for them without a new wake-up.
        if (appendInside-- > 0) writer.append(1, 'inside');
      });
    } finally {
      if (before === undefined) delete process.env.NIX_BTM_RING_WAIT;
      else process.env.NIX_BTM_RING_WAIT = before;
    }
    expect(r.stats()).toMatchObject({ wait: mode, waitFallback: mode === 'thread' ? 'NIX_BTM_RING_WAIT=thread' : '' });
    for (let i = 0; i < 500; i++) writer.append(1, 'burst');
    while (seq < 503) await sleep(2);
    await sleep(50);
    expect(calls).toBe(4); // the burst, then one turn per record appended inside
    writer.close();
    while (calls === 4) await sleep(2);
    await sleep(600); // past two liveness checks: a closed writer is reported once
    expect(calls).toBe(5);
    expect(r.writerAlive()).toBe(false);
    expect(r.stats().lastCallNs).toBeGreaterThanOrEqual(r.stats().lastSeenNs);
  });
});
