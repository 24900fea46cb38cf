// The main thread's side of the /proc scan thread (scan-worker.ts): one scan in flight at a time, its result as a
// promise; the builders' environments mirrored here, so the signal and environ checks still answer synchronously.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../addon/package-root.js';
import { createUserDbSource } from '../ingest/build-users.js';
import type { DrvCandidate, Environ } from '../ingest/builder-map.js';
import type { HostInfo, ProcessInfo } from '../state/events.js';
import type { FromScan, ToScan } from './scan-protocol.js';

export type ScanResult = { readonly at: number; readonly processes: ProcessInfo[]; readonly host: HostInfo };

export type ScanThread = {
  /** Scans in the thread; null when a scan is already in flight (the caller tries again later). */
  scan(all: boolean, candidates: () => readonly DrvCandidate[]): Promise<ScanResult> | null;
  /** The start environment of a builder (or of the builder above a builder-child) the last scan saw. */
  environ(pid: number): Environ | null;
  /** Whether a uid is a build user, read here as the scanner reads it (nix.conf, group file). */
  isBuildUid(uid: number): boolean;
  close(): Promise<void>;
};

function workerFile(): string {
  const here = fileURLToPath(new URL('./scan-worker.js', import.meta.url));
  return existsSync(here) ? here : join(packageRoot(), 'dist', 'src', 'daemon', 'scan-worker.js');
}

type Pending = { readonly id: number; readonly since: number; resolve(r: ScanResult): void; reject(e: Error): void };

/** A scan still unanswered after this long is a stuck thread (a /proc read hung): it is replaced. */
const STUCK_MS = 30_000;

export function startScanThread(log: (line: string) => void, storeDirs?: readonly string[]): ScanThread {
  const users = createUserDbSource();
  let worker: Worker | null = null;
  let pending: Pending | null = null;
  let next = 0;
  let builderOf = new Map<number, number>();
  let environs = new Map<number, Environ | null>();
  let closed = false;

  const onMessage = (m: FromScan): void => {
    const p = pending;
    if (p === null || p.id !== m.id) return;
    pending = null;
    if (m.t === 'failed') { p.reject(new Error(m.message)); return; }
    builderOf = new Map(m.builderOf);
    const posted = new Map(m.environs);
    const mirrored = new Map<number, Environ | null>();
    for (const builder of builderOf.values()) mirrored.set(builder, posted.has(builder) ? posted.get(builder)! : environs.get(builder) ?? null);
    environs = mirrored;
    p.resolve({ at: m.at, processes: m.processes, host: m.host });
  };
  // A thread that died (a bug, an OOM) is started again at the next scan; what it knew is forgotten with it.
  const spawn = (): Worker => {
    const w = new Worker(workerFile(), { workerData: { storeDirs } });
    w.on('message', onMessage);
    w.on('error', (err) => log(`scan thread: ${err.stack ?? err.message}`));
    w.on('exit', () => {
      if (worker === w) worker = null;
      builderOf = new Map();
      environs = new Map();
      const p = pending;
      pending = null;
      p?.reject(new Error('the scan thread exited'));
    });
    w.unref();
    return w;
  };

  return {
    scan(all, candidates) {
      if (pending !== null && performance.now() - pending.since > STUCK_MS) {
        log(`scan thread: no answer in ${STUCK_MS} ms, starting another`);
        void worker?.terminate();
        worker = null;
      }
      if (closed || pending !== null) return null;
      worker ??= spawn();
      const id = ++next;
      const w = worker;
      return new Promise<ScanResult>((resolve, reject) => {
        pending = { id, since: performance.now(), resolve, reject };
        w.postMessage({ t: 'scan', id, all, candidates: candidates() } satisfies ToScan);
      });
    },
    environ(pid) {
      const builder = builderOf.get(pid);
      return builder === undefined ? null : environs.get(builder) ?? null;
    },
    isBuildUid: (uid) => users().isBuildUid(uid),
    async close() {
      closed = true;
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
