// A recorded build -> timed events for the whole pipeline. The log has no timestamps, the ps capture does (one block
// per 0.5 s): each Build start is pinned to the moment its builder first appears in ps and each Build stop to the moment
// it last appears (midway between samples); lines in between are spread linearly, so the demo runs at the recorded pace.
import type { BtmEvent, DrvInfo, HostInfo, ProcessInfo, SourceInfo } from '../state/events.js';
import type { NixRecord } from '../state/nix.js';
import { ActivityType } from '../state/nix.js';
import { decodeLine } from '../ingest/decode.js';
import { openLogSource } from '../ingest/log-source.js';
import type { PsBlock } from '../ingest/ps-capture.js';
import { buildUsersFromLog, parsePsCapture, capturedProcesses } from '../ingest/ps-capture.js';

export type Recording = {
  /** Every event in time order, `at` set. */
  readonly events: readonly BtmEvent[];
  readonly startAt: number;
  readonly endAt: number;
};

export type RecordingInput = {
  readonly log: string;
  /** The `ps --forest` capture taken during the same run, or null (then lines are spread over `spreadMs`). */
  readonly ps: string | null;
  readonly source: string;
  /** What the header says about the machine (the capture records no host figures). */
  readonly host: HostInfo | null;
  /** When a recording without ps starts. */
  readonly startAt: number;
  readonly spreadMs?: number;
  /** The .drv graph recorded with the run (`nix show-derivation -r`), as the daemon reads it from the store live. */
  readonly drvs?: readonly DrvInfo[];
};

/** `nix show-derivation -r` output (Nix 2.8's JSON) -> what a .drv file says; entries it cannot read are skipped. */
export function drvInfosFromShowDerivation(json: unknown): DrvInfo[] {
  if (typeof json !== 'object' || json === null) return [];
  const out: DrvInfo[] = [];
  for (const [drvPath, d] of Object.entries(json as Record<string, unknown>)) {
    const v = d as { outputs?: Record<string, { path?: unknown }>; inputDrvs?: Record<string, unknown>; platform?: unknown; env?: { name?: unknown } };
    if (!v || typeof v !== 'object') continue;
    const outputs: Record<string, string> = {};
    for (const [name, o] of Object.entries(v.outputs ?? {})) if (typeof o?.path === 'string') outputs[name] = o.path;
    out.push({
      drvPath, name: typeof v.env?.name === 'string' ? v.env.name : drvPath.replace(/^.*?-/, '').replace(/\.drv$/, ''),
      outputs, inputDrvs: Object.keys(v.inputDrvs ?? {}).sort(), system: typeof v.platform === 'string' ? v.platform : '',
    });
  }
  return out;
}

type Anchor = { readonly line: number; readonly at: number };

export function buildRecording(input: RecordingInput): Recording {
  const lines = input.log.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const records = lines.map(decodeLine);
  const blocks = input.ps ? parsePsCapture(input.ps) : [];
  const procs = capturedProcesses(blocks, buildUsersFromLog(records));
  const first = blocks[0]?.at ?? input.startAt;
  const last = blocks[blocks.length - 1]?.at ?? input.startAt + (input.spreadMs ?? 10_000);
  const times = spread(lines.length, [{ line: 0, at: first }, ...anchors(records, blocks, procs), { line: lines.length - 1, at: last }]);
  const events: BtmEvent[] = [];
  let i = 0;
  const log = openLogSource({
    source: input.source, info: clientInfo(procs, input.source), emit: (e) => events.push(e),
    clock: () => times[Math.min(i++, times.length - 1)] ?? first,
  });
  i = 0;
  // A line at a time: the clock is read once per chunk (log-source.ts), and each line has its own time here.
  for (const line of lines) log.push(Buffer.from(line + '\n'));
  i = times.length - 1;
  log.end(null, 'eof');
  const scans: BtmEvent[] = blocks.map((b, k) => ({ kind: 'proc-scan', at: b.at, processes: procs[k] ?? [], host: input.host }));
  // The daemon reads each .drv as soon as the plan names it; the recording has them all from the start.
  const drvs: BtmEvent[] = (input.drvs ?? []).map((info) => ({ kind: 'drv-info', at: first, info }));
  return { events: [...drvs, ...merge(events, scans)], startAt: first, endAt: Math.max(last, first) };
}

/** The client (nix-build) seen by ps is the job's client; the log itself says nothing about its process. */
function clientInfo(procs: readonly (readonly ProcessInfo[])[], source: string): SourceInfo {
  for (const scan of procs) {
    const c = scan.find((p) => p.role === 'client');
    if (c) return { via: 'replay', pid: c.pid, uid: c.uid >= 0 ? c.uid : null, user: c.user, command: c.command };
  }
  return { via: 'replay', pid: null, uid: null, user: null, command: source };
}

function anchors(records: readonly NixRecord[], blocks: readonly PsBlock[], procs: ReturnType<typeof capturedProcesses>): Anchor[] {
  const seen = new Map<string, { first: number; last: number }>();
  procs.forEach((scan, k) => {
    for (const p of scan) {
      if (p.role !== 'builder' || !p.drvPath) continue;
      const s = seen.get(p.drvPath);
      seen.set(p.drvPath, { first: s?.first ?? k, last: k });
    }
  });
  const at = (k: number): number => blocks[k]?.at ?? 0;
  const between = (a: number, b: number): number => (at(a) + at(b)) / 2;
  const out: Anchor[] = [];
  const drvOf = new Map<string, string>();
  records.forEach((rec, line) => {
    if (rec.kind === 'start' && rec.type === ActivityType.Build && typeof rec.fields[0] === 'string') {
      drvOf.set(rec.id, rec.fields[0]);
      const s = seen.get(rec.fields[0]);
      if (s) out.push({ line, at: s.first > 0 ? between(s.first - 1, s.first) : at(0) });
    } else if (rec.kind === 'stop' && drvOf.has(rec.id)) {
      const s = seen.get(drvOf.get(rec.id)!);
      if (s) out.push({ line, at: s.last < blocks.length - 1 ? between(s.last, s.last + 1) : at(s.last) });
    }
  });
  return out;
}

/** Piecewise-linear times for `n` lines through the anchors (sorted by line, times kept non-decreasing). */
export function spread(n: number, points: readonly Anchor[]): number[] {
  const kept: Anchor[] = [];
  for (const p of [...points].sort((a, b) => a.line - b.line)) {
    const prev = kept[kept.length - 1];
    if (!prev || (p.line > prev.line && p.at >= prev.at)) kept.push(p);
  }
  const times: number[] = [];
  for (let k = 0, line = 0; line < n; line++) {
    while (k < kept.length - 2 && kept[k + 1]!.line <= line) k++;
    const a = kept[k]!;
    const b = kept[k + 1] ?? a;
    if (line >= b.line || b.line === a.line) times.push(line >= b.line ? b.at : a.at);
    else times.push(Math.round(a.at + ((line - a.line) / (b.line - a.line)) * (b.at - a.at)));
  }
  return times;
}

function merge(a: readonly BtmEvent[], b: readonly BtmEvent[]): BtmEvent[] {
  const out: BtmEvent[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x && (!y || (x.at ?? 0) <= (y.at ?? 0))) { out.push(x); i++; } else if (y) { out.push(y); j++; }
  }
  return out;
}
