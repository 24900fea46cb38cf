// .drv parsing (src/ingest/aterm.ts) on big real-shaped derivations: thousands of input derivations and sources,
// an env of build scripts with Nix's escapes, grown from the real capture tests/fixtures/drv/...-y-1.0.drv.
// Figures (CPU time): MB/s against JSON.parse of the same terms (the baseline, same run), the time ratio 4 MB / 400 KB
// (10 when linear, 100 when quadratic like the old parser), and the longest the event loop waited while
// parseATermAsync parsed the 4 MB file.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

import { parseATerm, parseATermAsync } from '../src/ingest/aterm.js';
import type { Benchmark } from './index.js';
import { median, round } from './stats.js';

const ROUNDS = 7;
const FIXTURE = '../../tests/fixtures/drv/dhpr9z3b06n288l7j52il2qkhjx5alag-y-1.0.drv';

const hash = (i: number): string => i.toString(32).padStart(32, '0').replace(/[eout]/g, 'z');

/** A Derive(...) of about `bytes` characters; its strings also as JSON for the baseline. */
function bigDrv(bytes: number, script: string): { drv: string; json: string } {
  const inputs: string[] = [];
  const env: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const input = `("/nix/store/${hash(i)}-dep-${i}.drv",["out","dev"])`;
    const pair = i % 8 === 0 ? `("script${i}",${script})` : `("var${i}","/nix/store/${hash(i + 1)}-src-${i}")`;
    inputs.push(input);
    env.push(pair);
    size += input.length + pair.length + 2;
  }
  const drv = `Derive([("out","/nix/store/${hash(0)}-big","","")],[${inputs.join(',')}],[],"x86_64-linux","/bin/sh",` +
    `["-c","true"],[${env.join(',')}])`;
  const parsed = parseATerm(drv);
  if (!parsed.ok) throw new Error(`bench drv does not parse: ${parsed.reason}`);
  return { drv, json: JSON.stringify(parsed.term) };
}

/** CPU time of run() in ms (this process, GC threads included): on a shared, loaded machine wall time mostly
 * measures how long the process waited for a core. */
function timeMs(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/**
 * Longest gap between two turns of the event loop while the async parser runs, in wall time and in this process's
 * CPU time (on a loaded machine the wall gap also holds time the process was not scheduled at all).
 */
async function maxBlock(text: string): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let last = { wall: performance.now(), cpu: cpu() };
  const worst = { wallMs: 0, cpuMs: 0 };
  let running = true;
  const tick = (): void => {
    const now = { wall: performance.now(), cpu: cpu() };
    worst.wallMs = Math.max(worst.wallMs, now.wall - last.wall);
    worst.cpuMs = Math.max(worst.cpuMs, now.cpu - last.cpu);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const r = await parseATermAsync(text);
  running = false;
  if (!r.ok) throw new Error(r.reason);
  return worst;
}

async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  const real = readFileSync(join(dirname(fileURLToPath(import.meta.url)), FIXTURE), 'utf8');
  // The real file's build script (its second args string): escapes, quotes, tabs, CRs.
  const script = /\["-c",("(?:[^"\\]|\\.)*")\]/.exec(real)?.[1] ?? '"true"';
  const small = bigDrv(400 * 1024, script.slice(0, 2000) + '"');
  const large = bigDrv(4 * 1024 * 1024, script.slice(0, 2000) + '"');
  const t = { small: [] as number[], large: [] as number[], json: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    t.small.push(timeMs(() => parseATerm(small.drv)));
    t.large.push(timeMs(() => parseATerm(large.drv)));
    t.json.push(timeMs(() => JSON.parse(large.json)));
  }
  const mb = large.drv.length / 2 ** 20;
  const [smallMs, largeMs, jsonMs] = [median(t.small), median(t.large), median(t.json)];
  const blocks: { wallMs: number; cpuMs: number }[] = [];
  for (let i = 0; i < 3; i++) blocks.push(await maxBlock(large.drv));
  const figures = {
    mbPerSec: round(mb / (largeMs / 1000), 1),
    ratioToJsonParse: round(jsonMs / largeMs),
    largeMs: round(largeMs, 1),
    smallMs: round(smallMs, 2),
    ratio4MBto400KB: round(largeMs / smallMs, 1),
    asyncMaxBlockMs: round(median(blocks.map((b) => b.wallMs)), 2),
    asyncMaxBlockCpuMs: round(median(blocks.map((b) => b.cpuMs)), 2),
  };
  log(`parseATerm on real-shaped .drv files (${(small.drv.length / 1024).toFixed(0)} KB and ${mb.toFixed(1)} MB), CPU time, median of ${ROUNDS}:`);
  log(`  4 MB: ${figures.largeMs} ms = ${figures.mbPerSec} MB/s; JSON.parse of the same terms ${round(jsonMs, 1)} ms (speed ratio ${figures.ratioToJsonParse}x)`);
  log(`  400 KB: ${figures.smallMs} ms; 4 MB / 400 KB time ratio ${figures.ratio4MBto400KB} (10 = linear, 100 = quadratic)`);
  log(`  parseATermAsync on 4 MB: the event loop waited at most ${figures.asyncMaxBlockMs} ms between turns ` +
    `(${figures.asyncMaxBlockCpuMs} ms of CPU time, GC threads included)`);
  return figures;
}

export const benchmark: Benchmark = { name: 'drv', run };
