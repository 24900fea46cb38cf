// Socket input hot path: bytes -> lines through LineSplitter (with the daemon's shared byte budget), over a large
// real log torn into socket-sized and into small chunks, against a bare indexOf/toString loop over the same bytes.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { byteBudget, LineSplitter } from '../src/ingest/lines.js';
import { FrameReader, logFrames } from '../src/protocol/feed-frames.js';
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

/**
 * `nix-btm run`/`feed`: run's splitter, one `{"line":...}` JSON envelope per line on the control socket, the control
 * connection's splitter and JSON.parse; then, before issue 11, the line re-joined into bytes for the log source's
 * splitter (`resplit`), now handed to it whole (LogSource.line).
 */
function feedEnveloped(chunks: readonly Buffer[], resplit: boolean): number {
  let n = 0;
  const source = new LineSplitter({ line: (l) => { n += l.length > 0 ? 1 : 0; }, oversize: () => undefined }, 64 << 20);
  const control = new LineSplitter({ line: (l) => {
    if (l === '') return;
    const m = JSON.parse(l) as { line: string };
    if (resplit) source.push(Buffer.from(m.line + '\n'));
    else if (m.line.includes('\n')) source.push(Buffer.from(m.line + '\n'));
    else n += m.line.length > 0 ? 1 : 0;
  }, oversize: () => undefined }, 64 << 20);
  let out: string[] = [];
  let outBytes = 0;
  const flush = (): void => { control.push(Buffer.from(out.join(''))); out = []; outBytes = 0; };
  const run = new LineSplitter({ line: (l) => {
    const framed = JSON.stringify({ line: l }) + '\n';
    out.push(framed);
    outBytes += framed.length;
    if (outBytes >= 64 << 10) flush();
  }, oversize: () => undefined }, 64 << 20);
  for (const c of chunks) run.push(c);
  run.end();
  flush();
  control.end();
  source.end();
  return n;
}

/** The same with no envelope: run's splitter (its widget needs lines) and the bytes as they came to one splitter. */
function feedRaw(chunks: readonly Buffer[]): number {
  let n = 0;
  const source = new LineSplitter({ line: (l) => { n += l.length > 0 ? 1 : 0; }, oversize: () => undefined }, 64 << 20);
  const run = new LineSplitter({ line: () => undefined, oversize: () => undefined }, 64 << 20);
  for (const c of chunks) { run.push(c); source.push(c); }
  run.end();
  source.end();
  return n;
}

/**
 * The feed as it is now (a framed feed): run's splitter (its widget needs lines), the lines of a turn joined into
 * log frames, the daemon's frame reader, and the log source's splitter.
 */
function feedFramed(chunks: readonly Buffer[]): number {
  let n = 0;
  const source = new LineSplitter({ line: (l) => { n += l.length > 0 ? 1 : 0; }, oversize: () => undefined }, 64 << 20);
  const reader = new FrameReader();
  const onFrame = (f: { type: string; bytes?: Buffer }): void => { if (f.bytes) source.push(f.bytes); };
  let pending: string[] = [];
  let bytes = 0;
  const flush = (): void => { reader.push(logFrames(Buffer.from(pending.join('\n') + '\n')), onFrame); pending = []; bytes = 0; };
  const run = new LineSplitter({ line: (l) => {
    pending.push(l);
    bytes += l.length + 1;
    if (bytes >= 256 << 10) flush();
  }, oversize: () => undefined }, 64 << 20);
  for (const c of chunks) run.push(c);
  run.end();
  if (pending.length > 0) flush();
  source.end();
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
    // The feed path (issue 11): three splitters and an envelope per line, against one splitter on the daemon's side.
    const feedChunks = chunked(data.subarray(0, 16 << 20), 64 << 10);
    const before: number[] = [];
    const enveloped: number[] = [];
    const raw: number[] = [];
    const framed: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      raw.push(time(() => feedRaw(feedChunks)));
      framed.push(time(() => feedFramed(feedChunks)));
      enveloped.push(time(() => feedEnveloped(feedChunks, false)));
      before.push(time(() => feedEnveloped(feedChunks, true)));
    }
    const feedMiB = 16;
    out.feedThreeSplittersMiBPerSec = round(feedMiB / (median(before) / 1000), 0);
    out.feedEnvelopedMiBPerSec = round(feedMiB / (median(enveloped) / 1000), 0);
    out.feedRawMiBPerSec = round(feedMiB / (median(raw) / 1000), 0);
    out.feedEnvelopeRatioToRaw = round(median(enveloped) / median(raw));
    out.feedRatioToThreeSplitters = round(median(enveloped) / median(before));
    out.feedFramedMiBPerSec = round(feedMiB / (median(framed) / 1000), 0);
    out.feedFramedRatioToEnveloped = round(median(framed) / median(enveloped));
    out.feedFramedRatioToRaw = round(median(framed) / median(raw));
    log(`  run/feed path: ${out.feedThreeSplittersMiBPerSec} MiB/s as it was (three splitters, an envelope per line), ` +
      `${out.feedEnvelopedMiBPerSec} MiB/s now (two splitters, the envelope): ${out.feedRatioToThreeSplitters}x the time; ` +
      `${out.feedRawMiBPerSec} MiB/s raw with one splitter per side (the envelope's cost: ${out.feedEnvelopeRatioToRaw}x)`);
    log(`  framed feed (what run/feed send now): ${out.feedFramedMiBPerSec} MiB/s, ${out.feedFramedRatioToEnveloped}x the time of ` +
      `the envelope, ${out.feedFramedRatioToRaw}x raw`);
    return out;
  },
};
