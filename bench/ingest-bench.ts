// Ingest hot path: decode + reduce over a large real log, against a bare JSON.parse loop over the same lines.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDecoder } from '../src/ingest/decode.js';
import type { State } from '../src/state/model.js';
import { initialState, reduce } from '../src/state/reducer.js';
import type { Benchmark } from './index.js';
import { median, round } from './stats.js';

const TARGET_RECORDS = 600_000;
const ROUNDS = 7;

/** The real captures, each repeated as its own source until the total passes TARGET_RECORDS. */
function loadStreams(): { source: string; lines: string[] }[] {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '../../tests/fixtures/nix-2.8');
  const captures = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()
    .map((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== ''));
  const streams: { source: string; lines: string[] }[] = [];
  let total = 0;
  for (let i = 0; total < TARGET_RECORDS; i++) {
    const lines = captures[i % captures.length] ?? [];
    streams.push({ source: `bench:${i}`, lines });
    total += lines.length;
  }
  return streams;
}

function jsonParseLoop(streams: { lines: string[] }[]): number {
  let sink = 0;
  for (const { lines } of streams) {
    for (const line of lines) sink += (JSON.parse(line.startsWith('@nix ') ? line.slice(5) : line) as object) ? 1 : 0;
  }
  return sink;
}

function ingest(streams: { source: string; lines: string[] }[], sample?: (i: number) => void): State {
  let state = initialState();
  for (const [i, { source, lines }] of streams.entries()) {
    const decoder = createDecoder();
    state = reduce(state, { kind: 'source-open', at: i, source, info: { via: 'replay', pid: null, uid: null, user: null, command: source } });
    for (const line of lines) state = reduce(state, { kind: 'nix', at: i, source, record: decoder.decode(line) });
    state = reduce(state, { kind: 'source-close', at: i, source, exitCode: null, reason: 'eof' });
    sample?.(i);
  }
  return state;
}

function time(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const heapMiB = (): number => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

export const benchmark: Benchmark = {
  name: 'ingest',
  run: async (log) => {
    const streams = loadStreams();
    const records = streams.reduce((n, s) => n + s.lines.length, 0);
    const ours: number[] = [];
    const base: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      base.push(time(() => jsonParseLoop(streams)));
      ours.push(time(() => ingest(streams)));
    }
    const ratios = ours.map((ms, i) => (base[i] ?? ms) / ms);
    // Memory growth: heap after each quarter of the log, with a GC first.
    const heap: number[] = [];
    const marks = new Set([1, 2, 3, 4].map((q) => Math.floor((streams.length * q) / 4) - 1));
    ingest(streams, (i) => { if (marks.has(i)) heap.push(round(heapMiB(), 1)); });
    const result = {
      records,
      recordsPerSec: Math.round(records / (median(ours) / 1000)),
      jsonParseRecordsPerSec: Math.round(records / (median(base) / 1000)),
      ratioToJsonParse: round(median(ratios), 3),
      heapMiBAtQuarters: heap,
      heapGrowthRatio: round((heap.at(-1) ?? 0) / (heap[0] ?? 1), 2),
      peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
    };
    log(`${records} records from ${streams.length} real capture streams, ${ROUNDS} rounds, medians:`);
    log(`  decode+reduce  ${result.recordsPerSec} records/s`);
    log(`  JSON.parse     ${result.jsonParseRecordsPerSec} records/s (same lines, same run)`);
    log(`  ratio to JSON.parse ${result.ratioToJsonParse} (per-round ratios ${ratios.map((x) => round(x, 2)).join(', ')})`);
    log(`  heap after each quarter (MiB): ${heap.join(', ')}; peak RSS ${result.peakRssMiB} MiB`);
    return result;
  },
};
