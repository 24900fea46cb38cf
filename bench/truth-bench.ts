// Issue 9 scale: `replay` (decode + reduce + report) of a generated log of 5,000 and of 50,000 derivations, each in
// its own process (peak RSS is per run). Linear means truth.ratio50kTo5k near 10; the goal is <= 12.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './index.js';
import { median, round } from './stats.js';
import { generateLog } from './truth-log.js';

const ROUNDS = 3;
type Run = { ms: number; listed: number; maxRssMiB: number };

function measure(file: string): Run[] {
  const child = join(dirname(fileURLToPath(import.meta.url)), 'truth-child.js');
  return Array.from({ length: ROUNDS }, () => JSON.parse(execFileSync(process.execPath, [child, file], { encoding: 'utf8' })) as Run);
}

export const benchmark: Benchmark = {
  name: 'truth',
  run: async (log) => {
    const dir = mkdtempSync(join(tmpdir(), 'btm-truth-bench-'));
    try {
      const out: Record<string, number> = {};
      for (const n of [5_000, 50_000]) {
        const file = join(dir, `generated-${n}.jsonl`);
        writeFileSync(file, generateLog(n));
        const runs = measure(file);
        const ms = median(runs.map((r) => r.ms));
        const listed = Math.min(...runs.map((r) => r.listed));
        const rss = Math.max(...runs.map((r) => r.maxRssMiB));
        const key = n === 5_000 ? '5k' : '50k';
        out[`replay${key}Ms`] = round(ms, 1);
        out[`listed${key}`] = listed;
        out[`peakRss${key}MiB`] = round(rss, 1);
        log(`replay of a generated ${n}-derivation log: ${round(ms, 1)} ms (median of ${ROUNDS}), ${listed} listed, peak RSS ${round(rss, 1)} MiB`);
      }
      out['ratio50kTo5k'] = round((out['replay50kMs'] ?? 0) / (out['replay5kMs'] ?? 1), 2);
      log(`truth.ratio50kTo5k = ${out['ratio50kTo5k']} (goal <= 12: linear)`);
      return out;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
