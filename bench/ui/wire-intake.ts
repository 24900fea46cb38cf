// The UI's intake of a proxy's stream (issue 13, `hosts.intake`): the same real events (the demo capture's, as the
// ring carries them) read as "E" lines, one parse per event, and as "B [...]" lines of one ring read each (10
// records, what a busy daemon's wake-up carries), one parse per batch; split, decoded and checked the way
// src/remote/connection.ts does. CPU per event, median of runs; no ssh, no scheduling in the figure.
import { LineSplitter } from '../../src/ingest/lines.js';
import { decodeEventArray, decodeEventText } from '../../src/protocol/events.js';
import { demoRecording } from '../../src/feeds/demo-feed.js';
import type { BtmEvent } from '../../src/state/events.js';
import { median, round } from '../stats.js';

const PER_READ = 10;

function stream(texts: readonly string[], batch: boolean): Buffer[] {
  const lines: string[] = [];
  if (batch) for (let i = 0; i < texts.length; i += PER_READ) lines.push(`B [${texts.slice(i, i + PER_READ).join(',')}]\n`);
  else for (const t of texts) lines.push(`E ${t}\n`);
  // Chunks of one ring read each, as the proxy writes them.
  const chunks: Buffer[] = [];
  const per = batch ? 1 : PER_READ;
  for (let i = 0; i < lines.length; i += per) chunks.push(Buffer.from(lines.slice(i, i + per).join('')));
  return chunks;
}

function read(chunks: readonly Buffer[]): number {
  let n = 0;
  const got: BtmEvent[] = [];
  const splitter = new LineSplitter({
    line: (text) => {
      if (text.startsWith('E ')) {
        const d = decodeEventText(text.slice(2));
        if (!d.ok) throw new Error(d.reason);
        got.push(d.event);
      } else if (text.startsWith('B ')) {
        const d = decodeEventArray(text.slice(2));
        if (!d.ok) throw new Error(d.reason);
        for (const e of d.events) got.push(e);
      }
    },
    oversize: () => { throw new Error('oversize'); },
  }, 512 << 20);
  for (const c of chunks) { splitter.push(c); n += got.length; got.length = 0; }
  return n;
}

const cpuNs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };

export function wireIntake(log: (l: string) => void): Record<string, number> {
  const events = demoRecording().events;
  const texts = events.map((e) => JSON.stringify(e));
  // About 50,000 events a run, the capture repeated.
  const all: string[] = [];
  while (all.length < 50_000) all.push(...texts);
  const lines = stream(all, false);
  const batches = stream(all, true);
  const l: number[] = [];
  const b: number[] = [];
  for (let run = 0; run < 9; run++) {
    for (const [chunks, out] of [[lines, l], [batches, b]] as const) {
      const t0 = cpuNs();
      const n = read(chunks);
      if (run > 1) out.push((cpuNs() - t0) / n);
    }
  }
  const r = { linesNsPerEvent: round(median(l), 0), batchNsPerEvent: round(median(b), 0), batchRatioToLines: round(median(b) / median(l), 2), eventsPerRun: all.length };
  log(`UI intake of a proxy stream (real capture's events): one line per event ${r.linesNsPerEvent} ns/event, batches of ${PER_READ} ${r.batchNsPerEvent} ns/event (x${r.batchRatioToLines})`);
  return r;
}
