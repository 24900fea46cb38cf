// `npm run bench` key `widget` (issue 15): what the live widget costs. The real 2,000-derivation capture
// (tests/fixtures/captures/truth/daemon-wide-2000.jsonl, 32,000 records) is fed at a chatty build's pace (20,000
// lines a second, in pipe-sized reads), once drawing the widget on a 120x40 terminal and once --quiet, alternately in
// the same run: CPU per 10,000 records of each (medians), their ratio, and the bytes the widget wrote per second.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Benchmark } from './index.js';
import { median, round } from './stats.js';
import { createBuildView, type ViewMode } from '../src/widget/session.js';

const ROOT = join(import.meta.dirname, '..', '..');
const LOG = join(ROOT, 'tests/fixtures/captures/truth/daemon-wide-2000.jsonl');
const LINES_PER_READ = 200;
const READ_EVERY_MS = 10;
const RUNS = 5;

function terminal(): NodeJS.WriteStream {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & { columns: number; rows: number; isTTY: boolean };
  s.columns = 120;
  s.rows = 40;
  s.isTTY = true;
  s.write = (() => true) as never;
  return s;
}

type Sample = { cpuMs: number; wallMs: number; bytes: number; records: number };

async function feed(lines: readonly string[], mode: ViewMode): Promise<Sample> {
  const view = createBuildView({ out: terminal(), mode, command: 'bench' });
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < lines.length; i += LINES_PER_READ) {
    for (const l of lines.slice(i, i + LINES_PER_READ)) view.line(l);
    await new Promise((r) => setTimeout(r, READ_EVERY_MS));
  }
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  const bytes = view.written();
  view.end(0);
  return { cpuMs: (used.user + used.system) / 1000, wallMs, bytes, records: lines.length };
}

export const benchmark: Benchmark = {
  name: 'widget',
  run: async (log) => {
    const lines = readFileSync(LOG, 'utf8').split('\n').filter((l) => l !== '');
    const widget: Sample[] = [];
    const quiet: Sample[] = [];
    for (let r = 0; r < RUNS; r++) {
      widget.push(await feed(lines, 'widget'));
      quiet.push(await feed(lines, 'quiet'));
    }
    const per10k = (s: Sample): number => (s.cpuMs * 10_000) / s.records;
    const w = median(widget.map(per10k));
    const q = median(quiet.map(per10k));
    const bytesPerSec = median(widget.map((s) => (s.bytes * 1000) / s.wallMs));
    const linesPerSec = median(widget.map((s) => (s.records * 1000) / s.wallMs));
    log(`${lines.length} records at ~${Math.round(linesPerSec)} lines/s, ${RUNS} runs each, 120x40 terminal`);
    log(`CPU per 10,000 records: widget ${round(w)} ms, --quiet ${round(q)} ms (baseline): ratio ${round(w / q)}x`);
    log(`widget output: ${Math.round(bytesPerSec)} bytes/s`);
    return { records: lines.length, linesPerSec: Math.round(linesPerSec), widgetCpuMsPer10k: round(w), quietCpuMsPer10k: round(q), ratio: round(w / q), bytesPerSec: Math.round(bytesPerSec) };
  },
};
