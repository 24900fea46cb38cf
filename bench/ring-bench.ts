// The shared-memory ring against a unix-domain socket stream carrying the same records between the same two
// processes (this one reads, dist/bench/ring-child.js writes), alternating in one run: records/s for a burst, and
// publish-to-JS-callback wake latency for records sent one at a time to an idle reader (the two ways taking turns,
// so that both meet the same load), split into its legs for the ring. The throughput ratio is against the
// like-for-like socket (one write per record, each record sent when appended); the corked socket is shown too.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { openRing, type RingReader } from '../src/ring/ring.js';
import type { Benchmark } from './index.js';
import type { ChildCommand, Via } from './ring-child.js';
import { median, percentile, round } from './stats.js';

const PAYLOAD_BYTES = 64;
const BURST_RECORDS = 500_000;
const ROUNDS = 3;
// Each way: a p99 of 800 samples was the 8th-worst sample, and a few scheduling delays on a shared machine
// swung the ring/socket ratio between 0.8 and 4 from one run to the next.
const WAKE_SAMPLES = 2000;
const WAKE_WARMUP = 50;
const RING_BYTES = 1 << 26; // one burst (500k x 80 bytes) fits: the reader is never lapped

/** One record: its payload is data[offset .. offset + length) (both ways hand records over without a view each). */
type OnRecord = (kind: number, data: Buffer, offset: number, length: number, now: bigint, viaRing: boolean) => void;
const stampOf = (data: Buffer, offset: number): bigint => data.readBigUInt64LE(offset);

/** Frames [length u32][kind u32][payload] out of a byte stream, across chunk boundaries. */
function frameParser(onRecord: OnRecord): (chunk: Buffer) => void {
  let rest: Buffer | null = null;
  return (chunk) => {
    const now = process.hrtime.bigint();
    const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    let off = 0;
    while (buf.length - off >= 8) {
      const length = buf.readUInt32LE(off);
      if (buf.length - off - 8 < length) break;
      onRecord(buf.readUInt32LE(off + 4), buf, off + 8, length, now, false);
      off += 8 + length;
    }
    rest = off < buf.length ? buf.subarray(off) : null;
  };
}

type Link = { child: ChildProcess; reader: RingReader; server: Server; setSink: (f: OnRecord) => void; dir: string;
  /** Of the ring's last wake-up (hrtime ns): the waiter thread saw the word change; the JS thread took the report. */
  wake: { seen: number; call: number; timeline: boolean } };

function command(child: ChildProcess, m: ChildCommand): Promise<void> {
  return new Promise((resolve) => {
    const on = (r: { done?: string }): void => {
      if (r.done !== m.cmd) return;
      child.off('message', on);
      resolve();
    };
    child.on('message', on);
    child.send(m);
  });
}

async function connectLink(): Promise<Link> {
  const dir = mkdtempSync(join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), 'nix-btm-bench-'));
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'ring-child.js'), [], { stdio: 'inherit' });
  await new Promise((resolve) => child.once('message', resolve));
  await command(child, { cmd: 'ring', path: join(dir, 'ring'), capacityBytes: RING_BYTES });
  const reader = openRing(join(dir, 'ring'));
  // The reader waits as a UI of the daemon does: on a wake FIFO the writer made for it (src/daemon/wake-offers.ts).
  // NIX_BTM_BENCH_RING_WAKE=futex: on the ring's futex instead (io_uring, else the waiter thread).
  if (process.env.NIX_BTM_BENCH_RING_WAKE !== 'futex') {
    await command(child, { cmd: 'wake-fifo', path: join(dir, 'wake') });
    reader.wakeBy(join(dir, 'wake'));
  }
  let sink: OnRecord = () => {};
  const parse = frameParser((kind, data, offset, length, now, viaRing) => sink(kind, data, offset, length, now, viaRing));
  const server = createServer((s: Socket) => s.on('data', parse)).listen(join(dir, 'socket'));
  await command(child, { cmd: 'socket', path: join(dir, 'socket') });
  let cursor = reader.nextSeq;
  const wake = { seen: 0, call: 0, timeline: false };
  reader.onReadable(() => {
    let timeline = wake.timeline;
    for (;;) {
      // One block per read (readBlock: no object per record), as the socket's parser takes one chunk per read.
      const b = reader.readBlock(cursor, 4096);
      if (b.lost) throw new Error(`bench reader lost records ${b.lost.from}..${b.lost.to}`);
      // The time after each read, not once per callback: a callback that drains a whole burst would otherwise
      // date its last record before the reading (as the socket's parser dates each chunk after it arrived).
      const now = process.hrtime.bigint();
      if (timeline) {
        // After the reading is dated: stats() costs ~20 us on an idle-cold CPU, which the socket's way never pays.
        timeline = false;
        const s = reader.stats();
        wake.seen = s.lastSeenNs;
        wake.call = s.lastCallNs;
      }
      const { data, metas, offsets } = b;
      for (let i = 0; i < b.count; i++) sink(metas[2 * i] ?? 0, data, offsets[i] ?? 0, metas[2 * i + 1] ?? 0, now, true);
      cursor = b.nextSeq;
      if (b.count === 0) break;
    }
  });
  return { child, reader, server, dir, wake, setSink: (f) => (sink = f) };
}

/** Records/s from the first record's send time to the arrival of the last one. */
async function throughput(link: Link, via: Via): Promise<number> {
  let received = 0;
  let checksum = 0;
  let first = 0n;
  const done = new Promise<number>((resolve) => {
    link.setSink((kind, data, offset, length, now) => {
      if (received === 0) first = stampOf(data, offset);
      checksum = (checksum + kind + length) | 0;
      if (++received === BURST_RECORDS) resolve(BURST_RECORDS / (Number(now - first) / 1e9));
    });
  });
  await command(link.child, { cmd: 'burst', via, count: BURST_RECORDS, payloadBytes: PAYLOAD_BYTES });
  const rate = await done;
  if (checksum !== ((BURST_RECORDS * (1 + PAYLOAD_BYTES)) | 0)) throw new Error(`${via}: records arrived damaged`);
  return rate;
}

/** A ring wake-up's latency in three legs (us): publish -> the waiter thread sees it -> CallJs -> the listener. */
type Legs = { toThread: number[]; toJs: number[]; toListener: number[] };

/**
 * Microseconds from each record's send time to the JS callback that received it, records sent one at a time,
 * taking turns between the ring and the socket so that both meet the same load.
 */
async function wakeLatency(link: Link, legs: Legs): Promise<{ ring: number[]; socket: number[] }> {
  const ring: number[] = [];
  const socket: number[] = [];
  link.wake.timeline = true;
  link.setSink((_kind, data, offset, _length, now, viaRing) => {
    const sent = stampOf(data, offset);
    const into = viaRing ? ring : socket;
    into.push(Number(now - sent) / 1000);
    if (!viaRing || ring.length <= WAKE_WARMUP) return;
    legs.toThread.push((link.wake.seen - Number(sent)) / 1000);
    legs.toJs.push((link.wake.call - link.wake.seen) / 1000);
    legs.toListener.push((Number(now) - link.wake.call) / 1000);
  });
  const each = WAKE_SAMPLES + WAKE_WARMUP;
  await command(link.child, { cmd: 'paced', via: 'alternate', count: 2 * each, payloadBytes: PAYLOAD_BYTES });
  while (ring.length < each || socket.length < each) await new Promise((resolve) => setTimeout(resolve, 5));
  link.wake.timeline = false;
  return { ring: ring.slice(WAKE_WARMUP), socket: socket.slice(WAKE_WARMUP) };
}

async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  const link = await connectLink();
  try {
    const rates: Record<Via, number[]> = { ring: [], 'ring-single': [], socket: [], corked: [] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const via of ['ring', 'ring-single', 'socket', 'corked'] as const) rates[via].push(await throughput(link, via));
    }
    const legs: Legs = { toThread: [], toJs: [], toListener: [] };
    const { ring: ringWake, socket: socketWake } = await wakeLatency(link, legs);
    // NIX_BTM_BENCH_RING_SAMPLES=FILE: every wake-up sample and leg as JSON, for a histogram.
    const dump = process.env.NIX_BTM_BENCH_RING_SAMPLES;
    if (dump) writeFileSync(dump, JSON.stringify({ ringWake, socketWake, legs }));
    const [ring, single, socket, corked] = [median(rates.ring), median(rates['ring-single']), median(rates.socket), median(rates.corked)];
    const figures = {
      recordsPerSec: Math.round(ring),
      throughputRatioToSocket: round(ring / socket),
      wakeP50Us: round(percentile(ringWake, 50), 1),
      wakeP99Us: round(percentile(ringWake, 99), 1),
      socketRecordsPerSec: Math.round(socket),
      corkedSocketRecordsPerSec: Math.round(corked),
      throughputRatioToCorkedSocket: round(ring / corked),
      socketWakeP50Us: round(percentile(socketWake, 50), 1),
      socketWakeP99Us: round(percentile(socketWake, 99), 1),
      wakeP99RatioToSocket: round(percentile(ringWake, 99) / percentile(socketWake, 99)),
      singleAppendRecordsPerSec: Math.round(single),
      batchRatioToSingleAppend: round(ring / single),
      wakeToThreadP50Us: round(percentile(legs.toThread, 50), 1), wakeToThreadP99Us: round(percentile(legs.toThread, 99), 1),
      wakeToJsP50Us: round(percentile(legs.toJs, 50), 1), wakeToJsP99Us: round(percentile(legs.toJs, 99), 1),
      wakeToListenerP99Us: round(percentile(legs.toListener, 99), 1),
      wakeToListenerP50Us: round(percentile(legs.toListener, 50), 1),
      /**
       * How the ring's reader waited: 'fifo' (the writer's wake FIFO, as a UI of the daemon waits), or with
       * NIX_BTM_BENCH_RING_WAKE=futex 'io_uring' (in the event loop) or 'thread' (the fallback).
       */
      waitPath: link.reader.stats().wait,
    };
    const m = (n: number): string => `${(n / 1e6).toFixed(2)} M records/s`;
    log(`${PAYLOAD_BYTES}-byte records from a writer process to this one, median of ${ROUNDS} bursts of ${BURST_RECORDS}:`);
    log(`  ring, appendBatch() per ${1024} records ${m(ring)}   append() per record ${m(single)}   ratio ${figures.batchRatioToSingleAppend}x`);
    log(`  ring ${m(ring)}   socket, one write per record ${m(socket)}   ratio ${figures.throughputRatioToSocket}x (goal >= 5x)`);
    log(`  socket corked per ${1024} records ${m(corked)}   ratio ${figures.throughputRatioToCorkedSocket}x`);
    log(`wake latency, publish to JS callback, ${WAKE_SAMPLES} records each way sent one at a time (ring and socket taking turns) to an idle reader:`);
    log(`  ring   p50 ${figures.wakeP50Us} us  p99 ${figures.wakeP99Us} us (goal p99 < 100 us)`);
    log(`  ring wait: ${figures.waitPath}`);
    log(`  ring legs: publish -> woken (thread or event loop) p50 ${figures.wakeToThreadP50Us} p99 ${figures.wakeToThreadP99Us} us; -> JS callback p50 ${figures.wakeToJsP50Us} p99 ${figures.wakeToJsP99Us} us; -> listener (prefetch, callback, readBlock) p50 ${figures.wakeToListenerP50Us} p99 ${figures.wakeToListenerP99Us} us`);
    log(`  socket p50 ${figures.socketWakeP50Us} us  p99 ${figures.socketWakeP99Us} us   ring/socket p99 ${figures.wakeP99RatioToSocket} (goal <= 1)`);
    return figures;
  } finally {
    link.child.send({ cmd: 'exit' });
    link.reader.close();
    link.server.close();
    rmSync(link.dir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = { name: 'ring', run };
