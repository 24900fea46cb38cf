// The /proc scan against `ps -eo pid,ppid,user,pcpu,rss,etime,args` with 1000 extra processes, like for like:
// the scan runs with `all` (every process read, argv included), the two alternate in one run, medians compared.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createProcScanner } from '../src/ingest/proc-scan.js';
import type { Benchmark } from './index.js';
import { median, round } from './stats.js';

const EXTRA = 1000;
const BATCH = 100;
const RUNS = 15;
const PS_ARGS = ['-eo', 'pid,ppid,user,pcpu,rss,etime,args'];

async function startSleepers(into: ChildProcess[]): Promise<void> {
  for (let i = 0; i < EXTRA; i += BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(EXTRA, i + BATCH); j++) {
      const child = spawn('sleep', ['60'], { stdio: 'ignore' });
      into.push(child);
      batch.push(new Promise((resolve) => { child.once('spawn', resolve); child.once('error', () => resolve()); }));
    }
    await Promise.all(batch);
  }
}

function stopAll(children: readonly ChildProcess[]): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

function timeIt(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  const children: ChildProcess[] = [];
  try {
    await startSleepers(children);
    const scanner = createProcScanner({ all: true });
    let processes = 0;
    let psLines = 0;
    const scanMs: number[] = [];
    const psMs: number[] = [];
    const forestMs: number[] = [];
    scanner.scan(Date.now()); // warm: user tables, first CPU sample
    for (let i = 0; i < RUNS; i++) {
      scanMs.push(timeIt(() => { processes = scanner.scan(Date.now()).processes.length; }));
      // What the daemon normally runs: the Nix forest only, argv read just for Nix-looking processes.
      forestMs.push(timeIt(() => scanner.scan(Date.now(), false)));
      psMs.push(timeIt(() => {
        const out = spawnSync('ps', PS_ARGS, { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout ?? '';
        psLines = out.split('\n').length - 2;
      }));
    }
    const scan = median(scanMs);
    const ps = median(psMs);
    log(`${processes} processes (ps: ${psLines}), ${RUNS} runs each, alternating`);
    log(`scan (all): median ${round(scan)} ms   ps: median ${round(ps)} ms   scan/ps ${round(scan / ps)}`);
    log(`scan (Nix forest only): median ${round(median(forestMs))} ms`);
    return { scanMs: round(scan), psMs: round(ps), ratioToPs: round(scan / ps), processes, forestMs: round(median(forestMs)) };
  } finally {
    stopAll(children);
  }
}

export const benchmark: Benchmark = { name: 'proc', run };
