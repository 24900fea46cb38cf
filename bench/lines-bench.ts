// Socket input hot path: bytes -> lines through LineSplitter (with the daemon's shared byte budget), over a large
// real log torn into socket-sized and into small chunks, against a bare indexOf/toString loop over the same bytes.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { byteBudget, LineSplitter } from '../src/ingest/lines.js';
import type { Benchmark } from './index.js';
import { median, round } from './stats.js';

const TARGET_BYTES = 64 << 20;
const ROUNDS = 7;

function loadBytes(): Buffer {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '../../tests/fixtures/nix-2.8');
  const all = Buffer.concat(readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => readFileSync(join(dir, f))));
  return Buffer.concat(Array.from({ length: Math.ceil(TARGET_BYTES / all.length) }, () => all));
}

const chunked = (data: Buffer, size: number): Buffer[] =>
  Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size));

/** The floor: find each newline and make each whole line a string, ignoring lines torn across chunks. */
function bareLoop(chunks: readonly Buffer[]): number {
  let n = 0;
  for (const c of chunks) {
    let start = 0;
    for (let nl = c.indexOf(10); nl >= 0; nl = c.indexOf(10, start)) { n += c.toString('utf8', start, nl).length > 0 ? 1 : 0; start = nl + 1; }
  }
  return n;
}

function splitter(chunks: readonly Buffer[]): number {
  let n = 0;
  const s = new LineSplitter({ line: (l) => { n += l.length > 0 ? 1 : 0; }, oversize: () => undefined }, 1 << 20,
    { budget: byteBudget(128 << 20), guaranteedBytes: 16 << 10 });
  for (const c of chunks) s.push(c);
  s.end();
  return n;
}

function time(f: () => number): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export const benchmark: Benchmark = {
  name: 'lines',
  run: async (log) => {
    const data = loadBytes();
    const out: Record<string, number> = { bytes: data.length };
    for (const [label, size] of [['64k', 64 << 10], ['512b', 512]] as const) {
      const chunks = chunked(data, size);
      const base: number[] = [];
      const mine: number[] = [];
      for (let i = 0; i < ROUNDS; i++) { base.push(time(() => bareLoop(chunks))); mine.push(time(() => splitter(chunks))); }
      const mbps = data.length / 2 ** 20 / (median(mine) / 1000);
      out[`splitMiBPerSec_${label}`] = round(mbps, 0);
      out[`ratioToBare_${label}`] = round(median(mine) / median(base));
      log(`  ${label} chunks: ${round(mbps, 0)} MiB/s, ${round(median(mine) / median(base))}x the bare indexOf loop`);
    }
    return out;
  },
};
