// The history worker thread: owns the database connection, applies batches in one transaction each, answers
// queries, prunes in small steps. The daemon's event loop only posts messages to it, so nothing here can delay
// the log sockets; a database that is corrupt, locked or full is reported, and rows wait in memory (bounded).
import { parentPort, workerData } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { hostname, setPriority } from 'node:os';
import type { Batch, DrvRow } from './rows.js';
import { describe, HistoryError, openHistory, SCHEMA_VERSION, type Db } from './schema.js';
import { HistoryStore } from './store.js';
import { HistoryQueries } from './queries.js';
import { runQuery } from './run-query.js';
import { pruneStep, type Retention } from './retention.js';
import { importNomCsvOnce } from './nom-import.js';
import { outputBytes } from './output-size.js';
import type { HistoryQuery } from './protocol.js';

export type WorkerInit = {
  readonly path: string; readonly retention: Retention; readonly nomCsv: string | null; readonly host: string | null;
  /** This daemon's key (its job keys' prefix): jobs other daemons, now gone, left running end as interrupted. */
  readonly daemonKey?: string;
};
export type ToWorker =
  | { readonly t: 'batch'; readonly batch: Batch }
  | { readonly t: 'query'; readonly id: number; readonly q: HistoryQuery }
  | { readonly t: 'close' };
export type FromWorker =
  | { readonly t: 'status'; readonly error: string | null; readonly pending: number; readonly note?: string }
  | { readonly t: 'reply'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly t: 'reply'; readonly id: number; readonly ok: false; readonly reason: string };

const MAX_PENDING = 200_000;

/**
 * This thread yields the CPU to the daemon's others when they contend for it (nice 10, this thread only: Linux
 * applies setpriority to a thread id): the history is written when there is room, the live state never waits for it.
 * Rows wait meanwhile (bounded by MAX_PENDING). Returns the nice value set, or null where it cannot be set.
 */
function yieldToTheLivePath(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return null;
    setPriority(tid, 10);
    return 10;
  } catch {
    return null;
  }
}
yieldToTheLivePath();
const init = workerData as WorkerInit;
const port = parentPort!;
const localHost = init.host ?? hostname();
let db: Db | null = null;
let store: HistoryStore | null = null;
let queries: HistoryQueries | null = null;
let error: string | null = null;
let pending: Batch[] = [];
let pendingRows = 0;
let dropped = 0;

const post = (m: FromWorker): void => port.postMessage(m);
const status = (note?: string): void => post({ t: 'status', error, pending: pendingRows, ...(note ? { note } : {}) });

/** Whether a process `pid` exists (EPERM: it does, as another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function open(): boolean {
  if (db) return true;
  try {
    db = openHistory(init.path);
    store = new HistoryStore(db);
    queries = new HistoryQueries(db);
    error = null;
    if (init.daemonKey !== undefined) {
      const ended = store.endOrphans(init.daemonKey, alive);
      if (ended > 0) status(`${ended} jobs a stopped daemon left running are marked interrupted`);
    }
    if (init.nomCsv) {
      const n = importNomCsvOnce(store, init.nomCsv, localHost);
      if (n.imported > 0) status(`imported ${n.imported} builds from ${init.nomCsv}`);
    }
    status();
    return true;
  } catch (err) {
    db = null;
    error = err instanceof HistoryError ? err.message : describe(err, init.path);
    status();
    return false;
  }
}

function measure(d: DrvRow): DrvRow {
  if (d.outputBytes !== null || !d.outputs || d.status !== 'built' || d.substituted) return d;
  return { ...d, outputBytes: outputBytes(d.outputs) };
}

function flush(): void {
  if (pending.length === 0 || !open()) return;
  try {
    for (const batch of pending) store!.writeBatch({ jobs: batch.jobs, drvs: batch.drvs.map(measure) });
    pending = [];
    pendingRows = 0;
    if (error !== null) { error = null; status(); }
  } catch (err) {
    const msg = describe(err, init.path);
    if (msg !== error) { error = msg; status(); }
    // Corrupt: the connection is useless; reopening later reports it again (or works once the file is replaced).
    if (!/locked|busy/i.test(msg)) { try { db?.close(); } catch { /* already broken */ } db = null; }
  }
}

function onBatch(batch: Batch): void {
  pending.push(batch);
  pendingRows += batch.jobs.length + batch.drvs.length;
  while (pendingRows > MAX_PENDING && pending.length > 1) {
    const old = pending.shift()!;
    pendingRows -= old.jobs.length + old.drvs.length;
    dropped += old.drvs.length;
  }
  flush();
}

function onQuery(id: number, q: HistoryQuery): void {
  if (q.kind === 'info') {
    post({ t: 'reply', id, ok: true, result: { path: init.path, error, schema: SCHEMA_VERSION, pending: pendingRows, dropped } });
    return;
  }
  if (!open()) { post({ t: 'reply', id, ok: false, reason: error ?? 'the history database is not open' }); return; }
  try {
    post({ t: 'reply', id, ok: true, result: runQuery(queries!, q, localHost) });
  } catch (err) {
    post({ t: 'reply', id, ok: false, reason: describe(err, init.path) });
  }
}

/** Pruning in steps of a few thousand rows, yielding between them, so queries and batches interleave. */
async function pruneLoop(): Promise<void> {
  for (;;) {
    if (db) {
      try {
        while (db && pruneStep(db, init.retention, Date.now())) await new Promise((r) => setImmediate(r));
        // Off the ETA path: host speeds are a scan of the last week.
        queries?.refreshSpeeds(localHost);
      } catch (err) { error = describe(err, init.path); status(); }
    }
    await new Promise((r) => setTimeout(r, init.retention.everyMs).unref());
  }
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'batch') onBatch(m.batch);
  else if (m.t === 'query') onQuery(m.id, m.q);
  else if (m.t === 'close') { flush(); db?.close(); db = null; port.close(); }
});
// A file locked or missing at start is tried again: rows wait in memory meanwhile.
setInterval(() => { if (!db || pending.length > 0) flush(); }, 5000).unref();
open();
void pruneLoop();
