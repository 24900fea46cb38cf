// The writing process of bench/ring-bench.ts (forked as dist/bench/ring-child.js). It sends the same records to
// the parent through the ring and through a unix-domain socket stream, on command over the IPC channel.
// Record: kind 1, payload of `payloadBytes` bytes whose first 8 are process.hrtime.bigint() at send time.
// Socket frame: [payload length u32 LE][kind u32 LE][payload].
import { connect, type Socket } from 'node:net';

import { createRing, type RingWriter } from '../src/ring/ring.js';

export type ChildCommand =
  | { readonly cmd: 'ring'; readonly path: string; readonly capacityBytes: number }
  | { readonly cmd: 'socket'; readonly path: string }
  | { readonly cmd: 'burst'; readonly via: 'ring' | 'socket'; readonly count: number; readonly payloadBytes: number }
  | { readonly cmd: 'paced'; readonly via: 'ring' | 'socket'; readonly count: number; readonly payloadBytes: number }
  | { readonly cmd: 'exit' };

const CORK_RECORDS = 1024;
let ring: RingWriter | undefined;
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

function sendOne(via: 'ring' | 'socket', f: { frame: Buffer; payload: Buffer }): void {
  f.payload.writeBigUInt64LE(process.hrtime.bigint(), 0);
  if (via === 'ring') ring?.append(1, f.payload);
  else socket?.write(Buffer.from(f.frame)); // a copy per record, as a stream writer must not reuse a queued buffer
}

async function burst(via: 'ring' | 'socket', count: number, payloadBytes: number): Promise<void> {
  const f = frame(payloadBytes);
  const s = via === 'socket' ? socket : undefined;
  for (let i = 0; i < count; i += CORK_RECORDS) {
    s?.cork(); // the usual Node idiom for a burst: one writev per CORK_RECORDS frames
    for (let j = i; j < Math.min(count, i + CORK_RECORDS); j++) sendOne(via, f);
    s?.uncork();
    if (s?.writableNeedDrain) await new Promise((resolve) => s.once('drain', resolve));
  }
}

// One record at a time with idle gaps, so every record finds the reader asleep: measures wake-up latency.
async function paced(via: 'ring' | 'socket', count: number, payloadBytes: number): Promise<void> {
  const f = frame(payloadBytes);
  for (let i = 0; i < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1 + (i % 3)));
    sendOne(via, f);
  }
}

async function handle(m: ChildCommand): Promise<void> {
  if (m.cmd === 'ring') ring = createRing({ path: m.path, capacityBytes: m.capacityBytes, maxRecordBytes: 4096 });
  if (m.cmd === 'socket') {
    const s = connect(m.path);
    await new Promise((resolve) => s.once('connect', resolve));
    socket = s;
  }
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
