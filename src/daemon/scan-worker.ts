// Runs in a worker thread: the /proc scan (src/ingest/proc-scan.ts). A scan reads thousands of small files
// synchronously (2-15 ms here, more on a busy host): on the main thread that was the daemon's worst delay between
// a Nix record and the ring. Here it costs the main thread one message per scan; the builders' environments
// (root-only facts the signal and environ checks need) travel once per builder, when first read or changed.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { DrvCandidate, Environ } from '../ingest/builder-map.js';
import { createProcScanner } from '../ingest/proc-scan.js';
import type { FromScan, ToScan } from './scan-protocol.js';

const port = parentPort;
if (port === null) throw new Error('scan-worker must run in a worker thread');

// Nice 10, this thread only (Linux applies setpriority to a thread id), as the history's thread: on a busy host the
// scan waits for a free core, the main thread (the log sockets' records) does not wait for the scan.
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10);
} catch { /* not Linux, or not allowed: the scan runs at the daemon's priority */ }

let candidates: readonly DrvCandidate[] = [];
// The store dirs the daemon reads .drv files from (--store-dir): where a builder no log named is looked for.
const storeDirs = (workerData as { storeDirs?: readonly string[] } | null)?.storeDirs;
const scanner = createProcScanner({ drvCandidates: () => candidates, ...(storeDirs ? { storeDirs } : {}) });
let sent = new Map<number, Environ | null>();

port.on('message', (m: ToScan) => {
  if (m.t !== 'scan') return;
  candidates = m.candidates;
  try {
    const at = Date.now();
    const { processes, host } = scanner.scan(at, m.all);
    const builderOf = scanner.builderOf();
    const next = new Map<number, Environ | null>();
    const environs: Array<[number, Environ | null]> = [];
    for (const builder of new Set(builderOf.values())) {
      const env = scanner.environ(builder);
      next.set(builder, env);
      if (!sent.has(builder) || sent.get(builder) !== env) environs.push([builder, env]);
    }
    sent = next;
    port.postMessage({ t: 'scanned', id: m.id, at, processes, host, builderOf: [...builderOf], environs } satisfies FromScan);
  } catch (err) {
    port.postMessage({ t: 'failed', id: m.id, message: (err as Error)?.stack ?? String(err) } satisfies FromScan);
  }
});
