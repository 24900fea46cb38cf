// Child process: the addon in several worker threads at once. The main thread writes; "read" workers each wait on
// the ring (their own waiter thread, their own instance data) and check every record; a "hang" worker is terminated
// while blocked in a wait; a "natural" worker ends with an unref'd wait pending.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

import { loadNative } from '../../../src/addon/native.js';
import { createRing, openRing } from '../../../src/ring/ring.js';
import { checkRecord, kindOf, payloadOf, type Sizes } from './records.js';

type Role = 'read' | 'hang' | 'natural';
type Job = { readonly path: string; readonly count: number; readonly role: Role };
type WorkerResult = { count: number; bad: string[]; activeWhileWaiting: number; activeAfterClose: number };
const sizes: Sizes = { minBytes: 8, maxBytes: 128 };

function runWorker(job: Job): void {
  const reader = openRing(job.path);
  const port = parentPort;
  if (job.role !== 'natural') reader.ref();
  let next = 0;
  const bad: string[] = [];
  reader.onReadable(() => {
    if (job.role !== 'read' || reader.closed) return;
    for (let r = reader.read(next); r.records.length > 0; r = reader.read(next)) {
      for (const rec of r.records) {
        const problem = rec.seq === next ? checkRecord(rec, sizes) : `seq ${rec.seq}, expected ${next}`;
        if (problem) bad.push(problem);
        next = rec.seq + 1;
      }
      if (r.lost || r.nextSeq !== next) bad.push(`lost ${JSON.stringify(r.lost)}, nextSeq ${r.nextSeq}`);
    }
    if (next < job.count) return;
    const activeWhileWaiting = loadNative().activeWaiters();
    reader.close();
    const result: WorkerResult = { count: next, bad: bad.slice(0, 5), activeWhileWaiting, activeAfterClose: loadNative().activeWaiters() };
    port?.postMessage({ result });
  });
  port?.postMessage({ ready: true });
}

function start(job: Job): { worker: Worker; ready: Promise<void>; result: Promise<WorkerResult>; exit: Promise<number> } {
  const worker = new Worker(new URL(import.meta.url), { workerData: job });
  const ready = new Promise<void>((resolve) => worker.on('message', (m: { ready?: boolean }) => m.ready && resolve()));
  const result = new Promise<WorkerResult>((resolve) => worker.on('message', (m: { result?: WorkerResult }) => m.result && resolve(m.result)));
  const exit = new Promise<number>((resolve) => worker.on('exit', resolve));
  worker.on('error', (error) => process.send?.({ error: String(error) }));
  return { worker, ready, result, exit };
}

async function main(): Promise<void> {
  const { path, count } = JSON.parse(process.argv[2] ?? '{}') as { path: string; count: number };
  const writer = createRing({ path, capacityBytes: 1 << 20, maxRecordBytes: 1024 });
  const readers = [0, 1, 2].map(() => start({ path, count, role: 'read' }));
  const hang = start({ path, count, role: 'hang' });
  const natural = start({ path, count, role: 'natural' });
  await Promise.all([...readers, hang, natural].map((w) => w.ready));
  for (let seq = 0; seq < count; seq++) {
    writer.append(kindOf(seq), payloadOf(seq, sizes));
    if (seq % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const results = await Promise.all(readers.map((w) => w.result));
  const readerExits = await Promise.all(readers.map((w) => w.exit));
  const naturalExit = await natural.exit;
  await hang.worker.terminate();
  const hangExit = await hang.exit;
  writer.close();
  process.send?.({ done: { results, readerExits, naturalExit, hangExit, mainActive: loadNative().activeWaiters() } });
  process.disconnect?.();
}

if (isMainThread) await main();
else runWorker(workerData as Job);
