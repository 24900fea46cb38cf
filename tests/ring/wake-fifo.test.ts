// Wake FIFOs (docs/ring.md, "Waiting"): a writer makes one per reader that asks, adopts its write end once the reader
// opened it, and writes a byte per wake; the reader's event loop polls it like a socket. Nothing a reader does with
// its end can block the writer: never reading it (a full FIFO), closing it, never opening it, or a FIFO put in its
// place. The reader learns of a writer that closed or died, and the records it is handed (the wait's prefetch
// included) are every record, in order, exactly once.
import { closeSync, constants, existsSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadNative } from '../../src/addon/native.js';
import { createRing, openRing, openWakeFifo, type RingReader, type RingWriter } from '../../src/ring/ring.js';
import { checkRecord } from './children/records.js';
import { buildChildren, cleanChildren, ringDir, sleep, spawnChild, type Child } from './helpers.js';

const SIZES = { minBytes: 8, maxBytes: 40 };
let dir = '';
let out = '';
let n = 0;
const writers: RingWriter[] = [];
const readers: RingReader[] = [];
const children: Child[] = [];
// NIX_BTM_RING_WAIT=thread (the vitest project ring-thread-wait) or io_uring asks for a futex wait, FIFO or not.
const forced = process.env.NIX_BTM_RING_WAIT === 'thread' || process.env.NIX_BTM_RING_WAIT === 'io_uring';

beforeAll(() => {
  dir = ringDir();
  out = buildChildren();
});
afterAll(() => {
  for (const c of children) c.process.kill('SIGKILL');
  for (const r of readers) r.close();
  for (const w of writers) w.close();
  cleanChildren(dir);
  cleanChildren(out);
});

function pair(): { writer: RingWriter; path: string; fifo: string } {
  const path = join(dir, `ring-${n++}`);
  const writer = createRing({ path, capacityBytes: 1 << 16, maxRecordBytes: 1024 });
  writers.push(writer);
  return { writer, path, fifo: `${path}.wake` };
}

function reader(path: string): RingReader {
  const r = openRing(path);
  readers.push(r);
  return r;
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('wake FIFOs', { timeout: 30_000 }, () => {
  it('a reader on its FIFO is woken once per burst and reads every record in order; the FIFO is gone from the directory once adopted', async () => {
    const { writer, path, fifo } = pair();
    writer.offerWakeFifo(fifo);
    expect(statSync(fifo).mode & 0o777).toBe(0o600);
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(writer.wakeFifos).toEqual({ offered: 1, adopted: 0 });
    const r = reader(path).wakeBy(fifo);
    let seq = 0;
    let calls = 0;
    const got: number[] = [];
    r.onReadable(() => {
      calls++;
      for (let b = r.readBlock(seq, 7); b.count > 0; b = r.readBlock(seq, 7)) {
        for (let i = 0; i < b.count; i++) got.push(b.data.readUInt32LE(b.offsets[i] ?? 0));
        seq = b.nextSeq;
      }
    });
    expect(r.stats().wait).toBe(forced ? process.env.NIX_BTM_RING_WAIT : 'fifo');
    await until('adoption', () => writer.wakeFifos.adopted === 1);
    expect(writer.wakeFifos).toEqual({ offered: 0, adopted: 1 });
    expect(existsSync(fifo)).toBe(false);
    const payload = Buffer.alloc(16);
    let sent = 0;
    for (let burst = 0; burst < 40; burst++) {
      // Bursts of 1..25 records, more than readBlock's 7 at a time: the prefetched block is taken only when it fits.
      for (let i = 0; i <= burst % 25; i++) {
        payload.writeUInt32LE(sent++, 0);
        writer.append(1, payload);
      }
      await until(`burst ${burst}`, () => got.length === sent);
    }
    expect(got).toEqual(Array.from({ length: sent }, (_, i) => i));
    expect(calls).toBeGreaterThanOrEqual(40);
    expect(calls).toBeLessThan(80);
    expect(r.stats()).toMatchObject({ records: sent, lost: 0 });
    if (!forced) expect(r.stats().fifoWakes).toBeGreaterThanOrEqual(40);
  });

  it('a lapped reader on its FIFO is told exactly which records it lost, then reads on', async () => {
    const { writer, path, fifo } = pair();
    writer.offerWakeFifo(fifo);
    const r = reader(path).wakeBy(fifo);
    let seq = 0;
    const lost: { from: number; to: number }[] = [];
    let last = -1;
    r.onReadable(() => {
      for (let b = r.readBlock(seq); b.count > 0 || b.lost; b = r.readBlock(seq)) {
        if (b.lost) lost.push(b.lost);
        if (b.count > 0) last = b.firstSeq + b.count - 1;
        seq = b.nextSeq;
      }
    });
    await until('adoption', () => writer.wakeFifos.adopted === 1);
    // 2,000 records of 200 bytes in one synchronous burst: 400 KB through a 64 KiB ring before the reader runs.
    const payload = Buffer.alloc(200);
    for (let i = 0; i < 2000; i++) writer.append(1, payload);
    await until('the last record', () => last === 1999);
    expect(lost.length).toBe(1);
    expect(lost[0]?.from).toBe(0);
    expect(r.stats()).toMatchObject({ lost: (lost[0]?.to ?? 0) + 1, records: 1999 - (lost[0]?.to ?? 0) });
  });

  it('a reader that never reads its FIFO never blocks the writer: 100,000 wakes go through a full FIFO, which stays adopted', async () => {
    const { writer, fifo } = pair();
    writer.offerWakeFifo(fifo);
    // Opened, never read and never waited on (a UI stopped with SIGSTOP, or a hostile one).
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await until('adoption', () => writer.wakeFifos.adopted === 1);
      const payload = Buffer.alloc(8);
      // Synchronous: one write that blocked would hang the test here.
      for (let i = 0; i < 100_000; i++) {
        writer.append(1, payload);
        writer.wake();
      }
      expect(writer.nextSeq).toBe(100_000);
      expect(writer.wakeFifos.adopted).toBe(1);
      // The FIFO holds as many bytes as it can (a pipe's 64 KiB): the writes went on past it, skipped.
      const buf = Buffer.alloc(1 << 20);
      let bytes = 0;
      for (;;) {
        try {
          const got = readSync(fd, buf);
          if (got === 0) break;
          bytes += got;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
          throw err;
        }
      }
      expect(bytes).toBe(65536);
    } finally {
      closeSync(fd);
    }
  });

  it('a FIFO whose reader closed it is dropped at the next wake; one never opened is unlinked after its time', async () => {
    const { writer, fifo } = pair();
    writer.offerWakeFifo(fifo);
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    await until('adoption', () => writer.wakeFifos.adopted === 1);
    closeSync(fd);
    writer.append(1, Buffer.alloc(8));
    writer.wake();
    expect(writer.wakeFifos.adopted).toBe(0);
    writer.offerWakeFifo(`${fifo}.2`, 50);
    expect(writer.wakeFifos.offered).toBe(1);
    await until('the offer to lapse', () => writer.wakeFifos.offered === 0);
    expect(existsSync(`${fifo}.2`)).toBe(false);
    expect(() => writer.offerWakeFifo(join(dir, 'no-such-dir', 'w'))).toThrow(/cannot make the FIFO .*: No such file or directory/);
  });

  it('a FIFO put where the offer was is never adopted (only the one the writer made)', async () => {
    const { writer, fifo } = pair();
    const errors: string[] = [];
    writer.onWakeFifoError = (m) => errors.push(m);
    writer.offerWakeFifo(fifo);
    unlinkSync(fifo);
    loadNative().makeFifo(fifo, 0o600);
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await until('the offer to be settled', () => writer.wakeFifos.offered === 0);
      expect(writer.wakeFifos.adopted).toBe(0);
      expect(errors).toEqual([`wake FIFO ${fifo} not adopted: it is not the FIFO made there`]);
    } finally {
      closeSync(fd);
    }
  });

  it('a FIFO opened late (the writer looks less and less often) is still adopted, and an open one can be handed to wakeBy', async () => {
    const { writer, path, fifo } = pair();
    writer.offerWakeFifo(fifo);
    await sleep(300);
    expect(writer.wakeFifos).toEqual({ offered: 1, adopted: 0 });
    const opened = openWakeFifo(fifo);
    await until('adoption', () => writer.wakeFifos.adopted === 1, 5000);
    const r = reader(path).wakeBy(opened);
    let seen = 0;
    r.onReadable(() => { for (let b = r.readBlock(seen); b.count > 0; b = r.readBlock(seen)) seen = b.nextSeq; });
    writer.append(1, Buffer.alloc(8));
    await until('the record', () => seen === 1);
    if (!forced) expect(r.stats().fifoWakes).toBeGreaterThan(0);
  });

  it('wakeBy refuses what is not a FIFO, and leaves the wait as it was', () => {
    const { path } = pair();
    const r = reader(path);
    expect(() => r.wakeBy(path)).toThrow(/is not a FIFO/);
    expect(() => r.wakeBy(join(dir, 'missing'))).toThrow(/ENOENT/);
    r.onReadable(() => undefined);
    expect(r.stats().wait).not.toBe('fifo');
  });

  it('a reader on its FIFO hears of a writer that closes, and of one that is killed', async () => {
    const { writer, path, fifo } = pair();
    writer.offerWakeFifo(fifo);
    const r = reader(path).wakeBy(fifo);
    let told = false;
    r.onReadable(() => { if (!r.writerAlive()) told = true; });
    await until('adoption', () => writer.wakeFifos.adopted === 1);
    writer.close();
    await until('the close', () => told);

    const killed = join(dir, `killed-${n++}`);
    const c = spawnChild(out, 'writer', { path: killed, capacityBytes: 1 << 16, maxRecordBytes: 1024, sizes: SIZES,
      count: 1_000_000, mode: 'flow', wakeFifo: `${killed}.wake` });
    children.push(c);
    await c.message<{ ready?: boolean }>((m) => m.ready === true);
    const r2 = reader(killed).wakeBy(`${killed}.wake`);
    let seq = 0;
    let dead = false;
    const bad: string[] = [];
    r2.onReadable(() => {
      for (let b = r2.readBlock(seq); b.count > 0; b = r2.readBlock(seq)) {
        for (let i = 0; i < b.count; i++) {
          const payload = b.data.subarray(b.offsets[i] ?? 0, b.offsets[i + 1] ?? 0);
          const why = checkRecord({ seq: b.firstSeq + i, kind: b.metas[2 * i] ?? -1, payload }, SIZES);
          if (why !== null) bad.push(why);
        }
        seq = b.nextSeq;
      }
      if (!r2.writerAlive()) dead = true;
    });
    c.send({ allow: 10 });
    await until('ten records', () => seq === 10);
    c.process.kill('SIGKILL');
    await until('the dead writer', () => dead);
    expect(bad).toEqual([]);
  });
});
