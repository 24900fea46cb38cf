// The writing process of bench/ring-bench.ts (forked as dist/bench/ring-child.js). It sends the same records to
// the parent through the ring and through a unix-domain socket stream, on command over the IPC channel.
// Record: kind 1, payload of `payloadBytes` bytes; its first 8 hold process.hrtime.bigint() at send time (in a burst,
// only the first record's is stamped: stamping costs as much as sending). Socket frame: [length u32][kind u32][payload].
// Socket "socket": one write() per record, handed to the kernel at once like ring.append(); "corked": the usual Node
// burst idiom, cork()/uncork() around 1024 records (fewer syscalls, but records wait for the uncork). Ring "ring":
// the same 1024 records staged in a RecordBatch (a copy each, as the corked socket copies each frame) and published
// with one appendBatch() call; "ring-single": one append() per record.
import { connect, type Socket } from 'node:net';

import { createRing, RecordBatch, type RingWriter } from '../src/ring/ring.js';

export type Via = 'ring' | 'ring-single' | 'socket' | 'corked';
/** Paced records: one way, or taking turns between the ring (even records) and the socket (odd ones). */
export type PacedVia = Via | 'alternate';

export type ChildCommand =
  | { readonly cmd: 'ring'; readonly path: string; readonly capacityBytes: number }
  | { readonly cmd: 'socket'; readonly path: string }
  /** A wake FIFO for the parent's reader (RingWriter.offerWakeFifo), as the daemon makes one per UI. */
  | { readonly cmd: 'wake-fifo'; readonly path: string }
  | { readonly cmd: 'burst'; readonly via: Via; readonly count: number; readonly payloadBytes: number }
  | { readonly cmd: 'paced'; readonly via: PacedVia; readonly count: number; readonly payloadBytes: number }
  | { readonly cmd: 'exit' };

const CORK_RECORDS = 1024;
let ring: RingWriter | undefined;
const single = new RecordBatch(1, 4096);
let socket: Socket | undefined;

const reply = (m: unknown): void => {
  process.send?.(m);
};

function frame(payloadBytes: number): { frame: Buffer; payload: Buffer } {
  const f = Buffer.alloc(8 + payloadBytes);
  f.writeUInt32LE(payloadBytes, 0);
  f.writeUInt32LE(1, 4);
  return { frame: f, payload: f.subarray(8) };
}

function sendOne(via: Via, f: { frame: Buffer; payload: Buffer }, stamp: boolean, paced = false): void {
  if (stamp) f.payload.writeBigUInt64LE(process.hrtime.bigint(), 0);
  if (paced && ring && (via === 'ring' || via === 'ring-single')) {
    // As the daemon publishes a JS turn's first event (src/daemon/publisher.ts): staged, then one appendBatch()
    // that wakes the readers at once, as a socket's write() is sent at once (append() would wake in a microtask).
    single.addBytes(f.payload);
    single.flush(ring);
  } else if (via === 'ring' || via === 'ring-single') {
    ring?.append(1, f.payload);
  }
  else socket?.write(Buffer.from(f.frame)); // a copy per record: a stream writer must not reuse a queued buffer
}

function ringBatches(count: number, payloadBytes: number): void {
  const f = frame(payloadBytes);
  const batch = new RecordBatch(1, 4096);
  for (let i = 0; i < count; i += CORK_RECORDS) {
    if (i === 0) f.payload.writeBigUInt64LE(process.hrtime.bigint(), 0);
    for (let j = i; j < Math.min(count, i + CORK_RECORDS); j++) batch.addBytes(f.payload);
    if (ring) batch.flush(ring);
    if (i === 0) f.payload.writeBigUInt64LE(0n, 0);
  }
}

async function burst(via: Via, count: number, payloadBytes: number): Promise<void> {
  if (via === 'ring') return ringBatches(count, payloadBytes);
  const f = frame(payloadBytes);
  const s = via === 'ring-single' ? undefined : socket;
  for (let i = 0; i < count; i += CORK_RECORDS) {
    if (via === 'corked') s?.cork();
    for (let j = i; j < Math.min(count, i + CORK_RECORDS); j++) sendOne(via, f, j === 0);
    if (via === 'corked') s?.uncork();
    if (s?.writableNeedDrain) await new Promise((resolve) => s.once('drain', resolve));
  }
}

// One record at a time with idle gaps, so every record finds the reader asleep: measures wake-up latency.
// Alternating, both ways are sampled in the same moments: on a shared machine, load that comes and goes would
// otherwise land on whichever way happened to run then (gaps of 1, 2, 3 ms reach both ways, 6 being their lcm).
async function paced(via: PacedVia, count: number, payloadBytes: number): Promise<void> {
  const f = frame(payloadBytes);
  for (let i = 0; i < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1 + (i % 3)));
    sendOne(via === 'alternate' ? (i % 2 === 0 ? 'ring-single' : 'socket') : via, f, true, true);
  }
}

async function handle(m: ChildCommand): Promise<void> {
  if (m.cmd === 'ring') ring = createRing({ path: m.path, capacityBytes: m.capacityBytes, maxRecordBytes: 4096 });
  if (m.cmd === 'socket') {
    const s = connect(m.path);
    await new Promise((resolve) => s.once('connect', resolve));
    socket = s;
  }
  if (m.cmd === 'wake-fifo') ring?.offerWakeFifo(m.path);
  if (m.cmd === 'burst') await burst(m.via, m.count, m.payloadBytes);
  if (m.cmd === 'paced') await paced(m.via, m.count, m.payloadBytes);
  if (m.cmd === 'exit') {
    ring?.close();
    socket?.end();
    process.disconnect?.();
    return;
  }
  reply({ done: m.cmd });
}

process.on('message', (m: ChildCommand) => void handle(m));
process.on('disconnect', () => {
  ring?.close();
  socket?.destroy();
});
reply({ ready: true });
