// Child process: attaches to a ring and reads from `from` (a sequence, or "next" for the live edge) up to `until`,
// checking every record's bytes, the order, and that lost ranges are exactly the gaps.
// mode "wait": onReadable (futex thread); "spin": read in a tight loop (hammer); "slow": a few records per tick.
// Out: { ready, start }, { progress } (mode wait), { result }.
import { openRing, type LostRange } from '../../../src/ring/ring.js';
import { checkRecord, type Sizes } from './records.js';

type Options = {
  readonly path: string;
  readonly sizes: Sizes;
  readonly from: number | 'next';
  readonly until: number;
  readonly mode: 'wait' | 'spin' | 'slow';
  readonly maxRecords?: number;
  readonly slowMs?: number;
  /** Read with readBlock() (one buffer per read) instead of read(). */
  readonly block?: boolean;
};

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const send = (m: unknown): void => {
  if (process.connected) process.send?.(m);
};
let opened: ReturnType<typeof openRing>;
try {
  opened = openRing(o.path);
} catch (error) {
  send({ openError: String(error), code: (error as { code?: unknown }).code });
  process.exit(0);
}
const reader = opened;
const start = o.from === 'next' ? reader.nextSeq : o.from;
let next = start;
let count = 0;
let readCalls = 0;
const lost: LostRange[] = [];
const bad: string[] = [];

/** read()'s result, through readBlock() when asked: the same records, checked the same way. */
function readSome(): ReturnType<typeof reader.read> {
  if (!o.block) return reader.read(next, o.maxRecords ?? 1024);
  const b = reader.readBlock(next, o.maxRecords ?? 1024);
  const records = Array.from({ length: b.count }, (_, i) => ({
    seq: b.firstSeq + i, kind: b.metas[2 * i] ?? -1, payload: b.data.subarray(b.offsets[i], b.offsets[i + 1]),
  }));
  return b.lost ? { records, lost: b.lost, nextSeq: b.nextSeq } : { records, nextSeq: b.nextSeq };
}

// Reads one batch; returns false when there was nothing new.
function readBatch(): boolean {
  const r = readSome();
  readCalls++;
  let expected = next;
  if (r.lost) {
    if (r.lost.from !== expected || r.lost.to < r.lost.from) bad.push(`lost ${JSON.stringify(r.lost)} at ${expected}`);
    lost.push(r.lost);
    expected = r.lost.to + 1;
  }
  for (const rec of r.records) {
    if (rec.seq !== expected) bad.push(`got seq ${rec.seq}, expected ${expected}`);
    const problem = checkRecord(rec, o.sizes);
    if (problem) bad.push(problem);
    expected = rec.seq + 1;
    count++;
  }
  if (r.nextSeq !== expected) bad.push(`nextSeq ${r.nextSeq}, expected ${expected}`);
  next = r.nextSeq;
  return r.records.length > 0 || r.lost !== undefined;
}

function finish(): void {
  const result = {
    start,
    next,
    count,
    lost,
    bad: bad.slice(0, 5),
    readCalls,
    stats: reader.stats(),
  };
  reader.close();
  send({ result });
  process.disconnect?.();
}

function drain(): void {
  if (reader.closed) return;
  while (next < o.until && readBatch()) {
    if (o.mode === 'slow') break;
  }
  send({ progress: next });
  if (next >= o.until) finish();
}

send({ ready: true, start });
if (o.mode === 'wait') {
  reader.ref().onReadable(drain);
  drain();
} else if (o.mode === 'slow') {
  const tick = (): void => {
    drain();
    if (next < o.until) setTimeout(tick, o.slowMs ?? 20);
  };
  tick();
} else {
  while (next < o.until) readBatch();
  finish();
}
