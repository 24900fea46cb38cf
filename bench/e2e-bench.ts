// End to end: a real `nix-btm daemon` (child process, temp runtime dir on tmpfs), a writer that feeds nix-log.sock at
// a steady 10k records/s (a real capture, ids renumbered per pass, as Nix >= 2.30 writes json-log-path), and a
// subscription in this process (hello + ring, onReadable). After WARMUP_SECONDS of that load unmeasured, CPU and
// latency are measured over SECONDS. Latency: from writing a recognisable msg record ("bench N", one per 10 ms batch)
// to the subscription's onEvent for it. Baseline, same run: a bare unix-socket echo round trip to a child process.
// Profiling: NIX_BTM_BENCH_DAEMON_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" (one profile per thread, the intake
// worker's too) or "--perf-basic-prof" for perf; NIX_BTM_BENCH_DAEMON_OUT=FILE keeps the daemon's stdout.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { subscribe, hello } from '../src/client/daemon-client.js';
import { pathsIn } from '../src/protocol/paths.js';
import { packageRoot } from '../src/addon/package-root.js';
import type { BtmEvent } from '../src/state/events.js';
import type { Benchmark } from './index.js';
import { percentile, round } from './stats.js';

const RATE = 10_000;
// NIX_BTM_BENCH_E2E_BATCH_MS: the same rate in fewer, bigger writes (or more, smaller ones): what a turn costs
// the daemon apart from its records.
const BATCH_MS = Number(process.env.NIX_BTM_BENCH_E2E_BATCH_MS ?? 10);
const SECONDS = 5;
// The same load first, unmeasured: a daemon runs for weeks, so its steady state is what counts, not the seconds
// in which V8 still compiles the hot path (measured: compiler threads and unoptimised code were a quarter of the
// daemon's CPU in the first 5 s) nor V8's memory reducer, which runs its full collections once, about 8 s after
// the start, in every thread's heap (--trace-gc; with 3 s of warm-up they fell in the measured 5 s, ~1.5% of a core).
const WARMUP_SECONDS = Number(process.env.NIX_BTM_BENCH_E2E_WARMUP_S ?? 10);
const PER_BATCH = (RATE * BATCH_MS) / 1000;
const CAPTURE = 'tests/fixtures/captures/log-daemon-root-graph-success.jsonl';
const BASELINE_SAMPLES = 500;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** The capture's records without `@nix `, with activity ids moved per pass so passes do not collide. */
function records(root: string, passes: number): string[] {
  const lines = readFileSync(join(root, CAPTURE), 'utf8').split('\n').filter((l) => l.startsWith('@nix {')).map((l) => l.slice(5));
  const out: string[] = [];
  for (let p = 0; p < passes; p++) {
    const shift = BigInt(p) << 20n;
    for (const l of lines) out.push(l.replace(/"(id|parent)":(\d+)/g, (_m, k: string, v: string) => `"${k}":${v === '0' ? '0' : BigInt(v) + shift}`));
  }
  return out;
}

/** utime + stime of a process, in ms (CLK_TCK = 100). */
function cpuMs(pid: number): number {
  return userSysMs(pid).reduce((a, b) => a + b);
}

/** [utime, stime] of a process, in ms: what its code costs and what the kernel spends for it. */
function userSysMs(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(f[11]) * 10, Number(f[12]) * 10];
}

/** Minor page faults of a process so far (a first touch of a mapped page, e.g. of the ring). */
function minorFaults(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

/** CPU ms of each of the process's threads (the main thread, workers, libuv's pool, V8's). */
function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Worker threads are all called "node": tell the main thread by its tid.
      const name = tid === String(pid) ? 'main' : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}/${tid}`;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) * 10);
    } catch { /* the thread ended */ }
  }
  return out;
}

async function startDaemon(root: string, dir: string): Promise<ChildProcess> {
  // NIX_BTM_BENCH_DAEMON_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": profile the daemon under this load.
  const nodeArgs = (process.env.NIX_BTM_BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const out = process.env.NIX_BTM_BENCH_DAEMON_OUT; // a file for the daemon's stdout (e.g. --trace-deopt)
  const stdio: StdioOptions = out ? ['ignore', openSync(out, 'w'), 'ignore'] : 'ignore';
  // NIX_BTM_BENCH_DAEMON_ARGS, e.g. "--no-history": what one part of the daemon costs under this load.
  const daemonArgs = (process.env.NIX_BTM_BENCH_DAEMON_ARGS ?? '').split(' ').filter((a) => a !== '');
  // Its own history, in the run's temp dir: as costly as the machine's, but never written into /var/lib/nix-btm.
  const history = daemonArgs.some((a) => a === '--history' || a === '--no-history') ? [] : ['--history', join(dir, 'history.sqlite'), '--no-import-nom'];
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin/nix-btm'), 'daemon', '--runtime-dir', dir, ...history, ...daemonArgs], { stdio });
  for (let i = 0; i < 200; i++) {
    try { if ((await hello(pathsIn(dir).control, 1000)).daemon.pid === child.pid) return child; } catch { /* not yet */ }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error('the daemon did not answer in 10 s');
}

const connected = (path: string): Promise<Socket> => new Promise((resolve, reject) => {
  const s = connect(path);
  s.once('connect', () => resolve(s));
  s.once('error', reject);
});

/** Round trips of one line to an echo child over a unix socket, one at a time, at the bench's batch pace. */
async function baseline(dir: string): Promise<number[]> {
  const path = join(dir, 'echo.sock');
  const script = `require('net').createServer((s) => s.pipe(s)).listen(${JSON.stringify(path)}, () => process.stdout.write('ready\\n'))`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const s = await connected(path);
    const rtts: number[] = [];
    for (let i = 0; i < BASELINE_SAMPLES; i++) {
      const t0 = nowMs();
      await new Promise<void>((resolve) => { s.once('data', () => resolve()); s.write(`{"action":"msg","level":3,"msg":"bench ${i}"}\n`); });
      rtts.push(nowMs() - t0);
      await sleep(2);
    }
    s.destroy();
    return rtts;
  } finally {
    child.kill('SIGKILL');
  }
}

async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  const root = packageRoot();
  // On tmpfs, as the daemon's runtime dir is in production (/run/nix-btm): a ring on a disk filesystem (this
  // machine's /tmp is ext4) pays a page fault for every page written after each writeback of the dirty pages.
  const dir = mkdtempSync(join(process.platform === 'linux' && existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'nix-btm-bench-'));
  let daemon: ChildProcess | null = null;
  try {
    const base = await baseline(dir);
    daemon = await startDaemon(root, dir);
    const batches = (SECONDS * 1000) / BATCH_MS;
    const warmup = (WARMUP_SECONDS * 1000) / BATCH_MS;
    const lines = records(root, Math.ceil(((batches + warmup) * PER_BATCH) / 400));
    const sent = new Map<number, number>();
    const latencies: number[] = [];
    let events = 0;
    const subscription = await subscribe(pathsIn(dir).control, { onEvent: (e: BtmEvent) => {
      events++;
      if (e.kind !== 'nix' || e.record.kind !== 'msg' || !e.record.msg.startsWith('bench ')) return;
      const t0 = sent.get(Number(e.record.msg.slice(6)));
      if (t0 !== undefined) latencies.push(nowMs() - t0);
    } });
    let lost = 0;
    subscription.onReadable(() => { lost += subscription.poll().lost; });
    const writer = await connected(pathsIn(dir).nixLog);
    let next = 0;
    // Batches of PER_BATCH lines every BATCH_MS; the measured ones start with the probe "bench <b>".
    const feed = async (count: number, probes: boolean): Promise<void> => {
      const start = nowMs();
      for (let b = 0; b < count; b++) {
        const chunk = lines.slice(next, next + PER_BATCH - 1);
        next += PER_BATCH - 1;
        const head = probes ? 'bench' : 'warm-up';
        sent.set(b, nowMs());
        writer.write(`{"action":"msg","level":3,"msg":"${head} ${b}"}\n${chunk.join('\n')}\n`);
        const wait = start + (b + 1) * BATCH_MS - nowMs();
        if (wait > 0) await sleep(wait);
      }
    };
    await feed(warmup, false);
    await sleep(200);
    events = 0;
    const cpu0 = cpuMs(daemon.pid!);
    const [user0, sys0] = userSysMs(daemon.pid!);
    const faults0 = minorFaults(daemon.pid!);
    const threads0 = threadCpuMs(daemon.pid!);
    const start = nowMs();
    await feed(batches, true);
    const wall = nowMs() - start;
    const deadline = nowMs() + 10_000;
    while (latencies.length < batches && nowMs() < deadline) await sleep(20);
    const cpu = cpuMs(daemon.pid!) - cpu0;
    const [user1, sys1] = userSysMs(daemon.pid!);
    const kernelPercent = ((sys1 - sys0) / wall) * 100;
    const userPercent = ((user1 - user0) / wall) * 100;
    const faultsPerSecond = ((minorFaults(daemon.pid!) - faults0) * 1000) / wall;
    const threads = [...threadCpuMs(daemon.pid!)].map(([name, ms]) => [name, ms - (threads0.get(name) ?? 0)] as const)
      .filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]).slice(0, 6);
    writer.destroy();
    subscription.close();
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const b50 = percentile(base, 50);
    const b99 = percentile(base, 99);
    const daemonCpuPercent = (cpu / wall) * 100;
    log(`after ${WARMUP_SECONDS} s of the same load unmeasured (NIX_BTM_BENCH_E2E_WARMUP_S): ${batches * PER_BATCH} records in ${round(wall / 1000)} s (${round((batches * PER_BATCH) / (wall / 1000), 0)}/s), ${events} events followed, ${latencies.length}/${batches} probes seen, ${lost} lost`);
    log(`write -> subscription onEvent: p50 ${round(p50)} ms, p99 ${round(p99)} ms; daemon CPU ${round(daemonCpuPercent, 1)}% of one core, ${round(faultsPerSecond, 0)} minor page faults/s`);
    log(`daemon CPU: user ${round(userPercent, 1)}%, kernel ${round(kernelPercent, 1)}%`);
    log(`daemon CPU by thread: ${threads.map(([name, ms]) => `${name} ${round((ms / wall) * 100, 1)}%`).join(', ')}`);
    log(`baseline unix-socket echo round trip: p50 ${round(b50, 3)} ms, p99 ${round(b99, 3)} ms; ratio p50 ${round(p50 / b50)}, p99 ${round(p99 / b99)}`);
    return {
      latencyP50Ms: round(p50), latencyP99Ms: round(p99), daemonCpuPercent: round(daemonCpuPercent, 1), daemonMinorFaultsPerSecond: round(faultsPerSecond, 0),
      daemonKernelCpuPercent: round(kernelPercent, 1),
      baselineP50Ms: round(b50, 3), baselineP99Ms: round(b99, 3), ratioP50: round(p50 / b50), ratioP99: round(p99 / b99),
      recordsPerSecond: round((batches * PER_BATCH) / (wall / 1000), 0), probes: batches, probesSeen: latencies.length,
      eventsFollowed: events, lost,
    };
  } finally {
    daemon?.kill('SIGTERM');
    if (daemon && daemon.exitCode === null) await new Promise((r) => { daemon!.once('exit', r); setTimeout(r, 5000); });
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = { name: 'e2e', run };
