// The daemon's side of the history: a recorder fed after every reduced event, a flush once a second (or sooner
// when many builds finished) that posts the rows to the worker thread, and queries relayed to it. Posting is the
// only work on the daemon's event loop; SQLite runs in the worker.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BtmEvent } from '../state/events.js';
import type { State } from '../state/model.js';
import { packageRoot } from '../addon/package-root.js';
import type { HistoryQuery } from './protocol.js';
import { HistoryRecorder } from './recorder.js';
import type { Retention } from './retention.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker.js';

export type HistoryWriterOptions = {
  readonly path: string;
  readonly retention: Retention;
  readonly nomCsv: string | null;
  /** Identifies this daemon's jobs across restarts (source ids start again at every start). */
  readonly daemonKey: string;
  readonly current: () => State;
  readonly log: (line: string) => void;
  readonly flushMs?: number;
  /** Finished builds that trigger a flush before the timer. */
  readonly flushRows?: number;
};

export type QueryReply = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly reason: string };

/** The compiled worker: next to this file once built; from dist when this runs from the TypeScript sources (tests). */
function workerFile(): string {
  const here = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(here) ? here : join(packageRoot(), 'dist/src/history/worker.js');
}

export class HistoryWriter {
  private readonly recorder: HistoryRecorder;
  private readonly worker: Worker;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly waiting = new Map<number, (r: QueryReply) => void>();
  private nextId = 1;
  private soon = false;
  private closed = false;
  /** The database's trouble, in words for the status line; null when it works. */
  error: string | null = null;

  constructor(private readonly opts: HistoryWriterOptions) {
    const host = (): string => opts.current().host?.hostname ?? hostname();
    this.recorder = new HistoryRecorder(opts.daemonKey, host);
    const init: WorkerInit = { path: opts.path, retention: opts.retention, nomCsv: opts.nomCsv, host: hostname(), daemonKey: opts.daemonKey };
    this.worker = new Worker(workerFile(), { workerData: init });
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (err) => { this.error = `history worker failed: ${err.message}`; opts.log(this.error); this.failAll(); });
    this.worker.on('exit', () => { this.closed = true; this.failAll(); });
    this.worker.unref();
    this.timer = setInterval(() => this.flush(), opts.flushMs ?? 1000);
    this.timer.unref();
  }

  /** After each reduced event: bookkeeping only. */
  observe(event: BtmEvent, state: State): void {
    this.recorder.observe(event, state);
    if (!this.soon && this.recorder.dirty >= (this.opts.flushRows ?? 2000)) {
      this.soon = true;
      setImmediate(() => { this.soon = false; this.flush(); });
    }
  }

  flush(): void {
    if (this.closed) return;
    const batch = this.recorder.take(this.opts.current());
    if (batch) this.post({ t: 'batch', batch });
  }

  query(q: HistoryQuery, timeoutMs = 30_000): Promise<QueryReply> {
    if (this.closed) return Promise.resolve({ ok: false, reason: 'the history writer is closed' });
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiting.delete(id); resolve({ ok: false, reason: `the history database did not answer in ${timeoutMs} ms` }); }, timeoutMs);
      this.waiting.set(id, (r) => { clearTimeout(timer); resolve(r); });
      this.post({ t: 'query', id, q });
    });
  }

  /** Writes what is left and stops the worker (bounded wait). */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    this.flush();
    this.post({ t: 'close' });
    this.closed = true;
    await Promise.race([new Promise((r) => this.worker.once('exit', r)), new Promise((r) => setTimeout(r, 5000).unref())]);
    await this.worker.terminate();
  }

  private post(m: ToWorker): void {
    try { this.worker.postMessage(m); } catch (err) { this.error = `history: ${(err as Error).message}`; }
  }

  private onMessage(m: FromWorker): void {
    if (m.t === 'status') {
      if (m.error !== this.error) this.opts.log(m.error ? `history: ${m.error}` : `history: ${this.opts.path} works again`);
      this.error = m.error;
      if (m.note) this.opts.log(`history: ${m.note}`);
      return;
    }
    const done = this.waiting.get(m.id);
    this.waiting.delete(m.id);
    done?.(m.ok ? { ok: true, result: m.result } : { ok: false, reason: m.reason });
  }

  private failAll(): void {
    for (const done of this.waiting.values()) done({ ok: false, reason: this.error ?? 'the history worker stopped' });
    this.waiting.clear();
  }
}
