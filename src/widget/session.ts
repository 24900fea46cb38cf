// One build watched in the user's terminal (`run`, `watch`, `feed`): each Nix log line goes through the shared
// reducer; Nix's errors and warnings (and a failed build's log tail when Nix did not print one) go above the widget,
// in order; the widget is redrawn at most every 60 ms and at least every 200 ms while anything moves (nom's bounds
// are 60 ms and 1 s; a frame of a huge build that costs more spaces them out). Modes: the inline widget (stderr a
// terminal), plain lines (not a terminal), quiet.
import { decodeLine } from '../ingest/decode.js';
import type { DrvParse } from '../ingest/drv-file.js';
import type { BtmEvent, SourceId } from '../state/events.js';
import type { Derivation, State } from '../state/model.js';
import type { NixRecord } from '../state/nix.js';
import { ActivityType } from '../state/nix.js';
import { logLines } from '../state/log-tail.js';
import { initialState, reduce } from '../state/reducer.js';
import { interpretMessage, severityOf } from '../state/outcomes.js';
import { sanitize } from '../state/text.js';
import { buildDerivations } from '../state/build-tree.js';
import { buildSummary } from '../state/build-summary.js';
import type { EtaPoll } from './eta-poll.js';
import { widgetLines } from './frame.js';
import { createInlineWriter, type InlineWriter } from './inline-writer.js';
import { finalReport, plainLine } from './report.js';

export type ViewMode = 'widget' | 'plain' | 'quiet';

export type BuildViewOptions = {
  readonly out: NodeJS.WriteStream;
  readonly mode: ViewMode;
  readonly command: string;
  /** Reads a .drv for the tree's edges; absent: no edges (a flat list). */
  readonly readDrv?: (drvPath: string) => Promise<DrvParse>;
  readonly eta?: EtaPoll;
  readonly clock?: () => number;
};

export type BuildView = {
  line(text: string): void;
  /** Output of the Nix command's stdout meant for the same terminal (the output path). */
  stdout(chunk: Buffer | string, to: NodeJS.WritableStream): void;
  end(exitCode: number | null): void;
  readonly state: () => State;
  /** Bytes the widget wrote (bench). */
  readonly written: () => number;
};

const SOURCE: SourceId = 'run';
const MIN_FRAME_MS = 60;
const HEARTBEAT_MS = 200;
const TAIL_LINES = 10;
const NIX_TAIL = /last \d+ log lines:/;
const PLAN_DRV = /^\s+(\/\S+\.drv)$/;

export function createBuildView(o: BuildViewOptions): BuildView {
  const clock = o.clock ?? Date.now;
  let state = reduce(initialState(), { kind: 'source-open', at: clock(), source: SOURCE, info: { via: 'run', pid: null, uid: null, user: null, command: o.command } });
  const writer: InlineWriter | null = o.mode === 'widget' ? createInlineWriter(o.out) : null;
  const pacer = writer ? createPacer(o, writer, clock, () => state) : null;
  const apply = (e: BtmEvent): void => { state = reduce(state, e); pacer?.changed(); };
  let partial = '';
  const drvs = createDrvQueue(o.readDrv, (info) => apply({ kind: 'drv-info', at: clock(), info }));
  const plain = o.mode === 'plain' ? createPlainProgress(o.out) : null;
  const say = (text: string, to?: NodeJS.WritableStream): void => {
    plain?.scan(state);
    if (writer) writer.print(text, to); else (to ?? o.out).write(text.endsWith('\n') ? text : `${text}\n`);
  };
  const plainTimer = plain ? setInterval(() => plain.scan(state), 250) : null;
  plainTimer?.unref();

  return {
    line(text) {
      const record = decodeLine(text);
      apply({ kind: 'nix', at: clock(), source: SOURCE, record });
      wantDrv(record, drvs.want);
      const shown = aboveText(record, text);
      if (shown !== null) say(shown);
      if (record.kind === 'msg') {
        const tail = failedTail(state, record.msg);
        if (tail !== null) say(tail);
      }
    },
    stdout(chunk, to) {
      // Whole lines only: the widget is drawn below them, and half a line would be drawn over.
      const text = partial + chunk.toString();
      const cut = text.lastIndexOf('\n') + 1;
      partial = text.slice(cut);
      if (cut > 0) say(text.slice(0, cut), to);
    },
    end(exitCode) {
      apply({ kind: 'source-close', at: clock(), source: SOURCE, exitCode, reason: 'eof' });
      plain?.scan(state);
      pacer?.stop();
      if (plainTimer) clearInterval(plainTimer);
      writer?.clear();
      if (partial !== '') o.out.write(`${partial}\n`);
      const report = finalReport(state, [SOURCE], clock());
      if (report.length > 0) o.out.write(report.join('\n') + '\n');
      o.eta?.close();
    },
    state: () => state,
    written: () => writer?.written() ?? 0,
  };
}

/**
 * When frames are drawn: soon after a change (at most every 60 ms), on a heartbeat for the spinner and timers, and
 * spaced out when frames are costly (a huge build) so drawing takes at most a fifth of a core, never less than one a second.
 */
function createPacer(o: BuildViewOptions, writer: InlineWriter, clock: () => number, state: () => State): { changed(): void; stop(): void } {
  let dirty = true;
  let stopped = false;
  let lastFrame = 0;
  let frameCost = 0;
  let timer: NodeJS.Timeout | null = null;
  const frame = (): void => {
    timer = null;
    if (stopped) return;
    lastFrame = clock();
    o.eta?.poll(state());
    const t0 = performance.now();
    writer.draw(widgetLines(state(), [SOURCE], { now: lastFrame, rows: Math.max(3, (o.out.rows || 24) - 2), columns: o.out.columns || 80, eta: o.eta?.table() ?? null, spinner: true }));
    // Smoothed: the first frames (code not yet compiled) are slow and must not slow the build's first seconds.
    frameCost = frameCost * 0.8 + (performance.now() - t0) * 0.2;
    dirty = false;
    schedule();
  };
  const schedule = (): void => {
    if (stopped || timer) return;
    const gap = Math.min(1000, Math.max(MIN_FRAME_MS, frameCost * 5));
    const wait = dirty ? Math.max(0, gap - (clock() - lastFrame)) : Math.max(HEARTBEAT_MS, gap);
    timer = setTimeout(frame, wait);
    timer.unref();
  };
  const onResize = (): void => { writer.resized(); dirty = true; if (timer) { clearTimeout(timer); timer = null; } schedule(); };
  o.out.on('resize', onResize);
  schedule();
  return {
    // A heartbeat pending: a change is drawn sooner than that (still not within 60 ms of the last frame).
    changed: () => { if (!dirty && timer) { clearTimeout(timer); timer = null; } dirty = true; schedule(); },
    stop: () => { stopped = true; if (timer) clearTimeout(timer); o.out.off('resize', onResize); },
  };
}

/** What Nix itself would have shown: plain stderr text, errors, warnings and `trace:` output; never -vvv chatter. */
function aboveText(record: NixRecord, raw: string): string | null {
  if (record.kind === 'text') return sanitize(raw);
  if (record.kind !== 'msg') return null;
  const text = record.msg;
  if (severityOf(text) !== null || text.startsWith('trace: ') || (record.rawMsg !== undefined && record.level <= 1)) return sanitize(text, true);
  return null;
}

/** A build failed and Nix's message has no log tail (single-user Nix, the new CLI with -L): print the one we kept. */
function failedTail(state: State, msg: string): string | null {
  const m = interpretMessage(msg);
  if (m.kind !== 'build-failed' || NIX_TAIL.test(msg)) return null;
  const drv = state.derivations.get(m.drvPath);
  const lines = drv ? logLines(drv.log).slice(-TAIL_LINES) : [];
  if (lines.length === 0) return null;
  return sanitize([`last ${lines.length} log lines of ${drv!.name}:`, ...lines.map((l) => `  > ${l}`)].join('\n'), true);
}

/** The .drv paths a record names: a build starting, a plan line. */
function wantDrv(record: NixRecord, want: (path: string) => void): void {
  if (record.kind === 'start' && record.type === ActivityType.Build && typeof record.fields[0] === 'string') want(record.fields[0]);
  else if (record.kind === 'msg') { const m = PLAN_DRV.exec(record.msg); if (m?.[1]) want(m[1]); }
}

/** .drv files read a few at a time (a plan of 50,000 must not open 50,000 files at once), each once. */
function createDrvQueue(read: BuildViewOptions['readDrv'], got: (info: Extract<DrvParse, { ok: true }>['info']) => void): { want: (path: string) => void } {
  const asked = new Set<string>();
  const queue: string[] = [];
  let inFlight = 0;
  const pump = (): void => {
    while (read && inFlight < 8 && queue.length > 0) {
      const path = queue.shift()!;
      inFlight++;
      void read(path).then((r) => { if (r.ok) got(r.info); }, () => undefined).finally(() => { inFlight--; pump(); });
    }
  };
  return {
    want: (path) => {
      if (!read || asked.has(path) || asked.size > 100_000) return;
      asked.add(path);
      queue.push(path);
      pump();
    },
  };
}

/** When a derivation's latest change happened: its start while it runs, else its end (unknown: last). */
const happenedAt = (d: Derivation): number => (d.status === 'running' ? d.startedAt : d.stoppedAt ?? d.startedAt) ?? Infinity;

/** Not a terminal: one line per build that started or ended, found by comparing statuses a few times a second. */
function createPlainProgress(out: NodeJS.WritableStream): { scan: (s: State) => void } {
  const seen = new Map<string, string>();
  let lastCount = -1;
  return {
    scan(s) {
      if (s.eventCount === lastCount) return;
      lastCount = s.eventCount;
      const drvs = buildDerivations(s, [SOURCE]);
      const sum = buildSummary(s, [SOURCE], s.now);
      const changed: Derivation[] = [];
      let done = 0;
      for (const d of drvs) {
        const was = seen.get(d.drvPath);
        if (was === 'built' || was === 'substituted') done++;
        if (was === d.status) continue;
        seen.set(d.drvPath, d.status);
        if (was === undefined && d.status === 'planned') continue;
        changed.push(d);
      }
      // A scan meets a few changes at once: print them in the order they happened (a build's start before its
      // dependents' ...), each counting the builds done up to it, not in plan order with the scan's final count.
      changed.sort((a, b) => happenedAt(a) - happenedAt(b));
      for (const d of changed) {
        if (d.status === 'built' || d.status === 'substituted') done++;
        const line = plainLine(d, done, sum.total);
        if (line !== null) out.write(line + '\n');
      }
    },
  };
}
