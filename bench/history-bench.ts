// History: (1) events a real daemon absorbs per second while writing history, against the same daemon with
// --no-history in the same run (a writer replays a real capture as fast as the socket takes it, one connection per
// pass: each is a job); (2) derivation rows/s through the writer's batch path; (3) the History first page and a
// pname's ETA on a 1,000,000-derivation database, p99 (goal < 5 ms); file size per 1,000,000 derivations.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { subscribe, hello } from '../src/client/daemon-client.js';
import { pathsIn } from '../src/protocol/paths.js';
import { openHistory } from '../src/history/schema.js';
import { HistoryQueries } from '../src/history/queries.js';
import { HistoryStore } from '../src/history/store.js';
import type { DrvRow, JobRow } from '../src/history/rows.js';
import { packageRoot } from '../src/addon/package-root.js';
import type { Benchmark } from './index.js';
import { bigHistory } from './history-db.js';
import { median, percentile, round } from './stats.js';

const CAPTURE = 'tests/fixtures/captures/log-daemon-root-graph-success.jsonl';
const PASSES = 1500;
const PARALLEL = 4;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startDaemon(root: string, dir: string, history: string | null): Promise<ChildProcess> {
  const args = [join(root, 'bin/nix-btm'), 'daemon', '--runtime-dir', join(dir, 'rt'), '--no-import-nom', ...(history ? ['--history', history] : ['--no-history'])];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    try { if ((await hello(pathsIn(join(dir, 'rt')).control, 1000)).daemon.pid === child.pid) return child; } catch { /* not yet */ }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error('the daemon did not answer in 10 s');
}

const open = (path: string): Promise<Socket> => new Promise((resolve, reject) => {
  const s = connect(path);
  s.once('connect', () => resolve(s));
  s.once('error', reject);
});

/** Sends PASSES passes of the capture, PARALLEL connections at a time; events/s until the ring shows all of them. */
async function absorb(root: string, history: string | null): Promise<{ eventsPerSecond: number; rows: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'nix-btm-hbench-'));
  const text = readFileSync(join(root, CAPTURE), 'utf8');
  const lines = text.split('\n').filter((l) => l.startsWith('@nix {')).map((l) => l.slice(5)).join('\n') + '\n';
  const perPass = lines.split('\n').length - 1 + 2; // records + open + close
  const daemon = await startDaemon(root, dir, history);
  try {
    const control = pathsIn(join(dir, 'rt')).control;
    let events = 0;
    const subscription = await subscribe(control, { reduce: false, onEvent: () => { events++; } });
    subscription.onReadable(() => { subscription.poll(); });
    const expected = PASSES * perPass;
    const t0 = performance.now();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < PASSES) {
        next++;
        const s = await open(pathsIn(join(dir, 'rt')).nixLog);
        await new Promise<void>((resolve) => s.end(lines, () => resolve()));
        await new Promise((r) => s.once('close', r));
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, lane));
    const deadline = performance.now() + 60_000;
    while (events < expected * 0.999 && performance.now() < deadline) { subscription.poll(); await sleep(5); }
    const wall = performance.now() - t0;
    subscription.close();
    let rows = 0;
    if (history) {
      await sleep(1500);
      const r = await import('../src/client/history-client.js').then((m) => m.daemonHistory(control).ask({ kind: 'stats' }));
      rows = r.ok ? ((r.result as { cache: { built: number } }).cache.built) : -1;
    }
    return { eventsPerSecond: events / (wall / 1000), rows };
  } finally {
    daemon.kill('SIGTERM');
    if (daemon.exitCode === null) await new Promise((r) => { daemon.once('exit', r); setTimeout(r, 10_000); });
    rmSync(dir, { recursive: true, force: true });
  }
}

function insertRate(dir: string): number {
  const db = openHistory(join(dir, 'insert.sqlite'));
  const store = new HistoryStore(db);
  const job = (i: number): JobRow => ({ key: `k${i}`, via: 'socket', command: 'nix-build', user: 'u', uid: 1, pid: i, host: 'h', relay: false,
    status: 'succeeded', exitCode: 0, startedAt: i, stoppedAt: i + 1, built: 1000, failed: 0, cancelled: 0, substituted: 0, planned: 1000, errors: 0 });
  const rows = (j: number): DrvRow[] => Array.from({ length: 1000 }, (_, k) => ({ jobKey: `k${j}`, path: `/nix/store/${String(j * 1000 + k).padStart(32, '0')}-pkg${k % 300}-1.${k % 5}.drv`,
    name: `pkg${k % 300}-1.${k % 5}`, substituted: false, host: 'h', status: 'built', reason: null, exitCode: null, startedAt: k, stoppedAt: k + 5000,
    durationMs: 5000, phases: [['buildPhase', 4000], ['installPhase', 1000]], peakProcs: 3, cpuMs: 9000, peakRss: 1e8, outputBytes: 1e6, outputs: null }));
  const batches = Array.from({ length: 50 }, (_, j) => ({ jobs: [job(j)], drvs: rows(j) }));
  const t0 = performance.now();
  for (const b of batches) store.writeBatch(b);
  const s = (performance.now() - t0) / 1000;
  db.close();
  return (50 * 1000) / s;
}

/**
 * p99 of wall time, and of this thread's CPU time (getrusage): on a machine whose cores are shared, wall time also
 * counts the time another process held the core; CPU time is the query's own cost.
 */
function p99(fn: (i: number) => void, n = 2000): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn(i);
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  return { wall: percentile(wall, 99), cpu: percentile(cpu, 99) };
}

async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  const root = packageRoot();
  const dir = mkdtempSync(join(tmpdir(), 'nix-btm-hbench-db-'));
  try {
    const off: number[] = [];
    const on: number[] = [];
    let rows = 0;
    for (let r = 0; r < 2; r++) {
      off.push((await absorb(root, null)).eventsPerSecond);
      const h = await absorb(root, join(dir, `daemon-${r}.sqlite`));
      on.push(h.eventsPerSecond);
      rows = h.rows;
    }
    const ratio = median(on) / median(off);
    log(`daemon absorbs ${round(median(on), 0)} events/s writing history, ${round(median(off), 0)} with --no-history: ratio ${round(ratio, 3)} (goal >= 0.9); ${rows} built rows written`);
    const rowsPerSecond = insertRate(dir);
    log(`derivation inserts: ${round(rowsPerSecond, 0)} rows/s (batches of 1,000, one transaction each)`);
    const big = bigHistory(join(dir, 'big.sqlite'));
    const size = statSync(join(dir, 'big.sqlite')).size;
    log(`1,000,000-derivation database built in ${round(big.ms / 1000, 1)} s: ${round(size / 2 ** 20, 1)} MiB`);
    const q = new HistoryQueries(big.db);
    // The worker computes host speeds in the background; an ETA never waits for that scan.
    for (const h of big.hosts) q.refreshSpeeds(h);
    const page = p99(() => q.jobs({ limit: 100 }));
    const pageFiltered = p99((i) => q.jobs({ limit: 100, user: `user${i % 7}`, status: 'succeeded' }));
    const eta = p99((i) => q.eta([big.names[(i * 7919) % big.names.length]!], big.hosts[i % 3]!));
    const etaMissing = p99((i) => q.eta([`pkg${i % 2000}-9.9`], 'laptop'));
    const f = (x: { wall: number; cpu: number }): string => `${round(x.wall, 3)} ms (CPU ${round(x.cpu, 3)} ms)`;
    log(`History first page p99 ${f(page)}, filtered by user and status ${f(pageFiltered)}; pname ETA p99 ${f(eta)}, other-version fallback ${f(etaMissing)} (goal < 5 ms)`);
    big.db.close();
    const worst = Math.max(page.wall, eta.wall);
    return {
      insertRatioToNoHistory: round(ratio, 3), eventsPerSecondHistory: round(median(on), 0), eventsPerSecondNoHistory: round(median(off), 0),
      derivationInsertRowsPerSecond: round(rowsPerSecond, 0), firstPageP99Ms: round(page.wall, 3), firstPageFilteredP99Ms: round(pageFiltered.wall, 3),
      etaP99Ms: round(eta.wall, 3), etaFallbackP99Ms: round(etaMissing.wall, 3), queryP99Ms: round(worst, 3),
      queryCpuP99Ms: round(Math.max(page.cpu, eta.cpu), 3),
      bytesPerMillionDerivations: size, bigDbBuildSeconds: round(big.ms / 1000, 1),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = { name: 'history', run };
