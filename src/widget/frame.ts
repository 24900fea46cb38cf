// The widget's frame (issue 15), as nom draws it: the folded dependency tree, the transfers, one summary line.
// Pure: state, the build's sources, the clock and the room in; lines of toned segments out, each shorter than the
// terminal's width (a line that fills the last column would wrap on some terminals and throw the redraw off).
import { buildSummary, type BuildSummary } from '../state/build-summary.js';
import { buildTransfers, buildTree, type TreeRow } from '../state/build-tree.js';
import type { SourceId } from '../state/events.js';
import type { Derivation, State, Transfer } from '../state/model.js';
import { MARK, TRANSFER_MARK } from '../state/marks.js';
import { sanitize, storePathName } from '../state/text.js';
import { drvLeft, jobLeftMs, type EtaTable } from '../ui/eta-column.js';
import { bytes } from '../ui/format.js';
import { durationMs } from '../state/selectors.js';

export type Tone = 'normal' | 'frame' | 'running' | 'done' | 'failed' | 'dim' | 'waiting' | 'download';

export type Segment = { readonly text: string; readonly tone: Tone };

export type Line = readonly Segment[];

export type FrameOptions = {
  /** Wall-clock time of the frame (timers, spinner); null: the state's own time. */
  readonly now: number | null;
  /** Rows the whole widget may take. */
  readonly rows: number;
  readonly columns: number;
  /** Expected durations from the history; null when there is none. */
  readonly eta: EtaTable | null;
  /** Animate (a spinner on the summary line while the build runs). */
  readonly spinner: boolean;
};


const TONES: Readonly<Record<Derivation['status'], Tone>> = {
  planned: 'dim', waiting: 'waiting', running: 'running', built: 'done', substituted: 'done', valid: 'dim', failed: 'failed',
  cancelled: 'waiting', interrupted: 'failed',
};

const SPINNER = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
const MAX_TRANSFERS = 3;

/** Whole seconds (timers tick once a second, so a line changes at most once a second): 7s, 1m05s, 2h03m. */
export function secs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const seg = (text: string, tone: Tone = 'normal'): Segment => ({ text, tone });

export function widgetLines(state: State, sources: readonly SourceId[], opts: FrameOptions): Line[] {
  const now = opts.now ?? state.now;
  const summary = buildSummary(state, sources, now);
  const room = Math.max(1, opts.rows);
  const allTransfers = room > 4 ? buildTransfers(state, sources, now) : [];
  const transfers = allTransfers.slice(0, MAX_TRANSFERS);
  const fixed = 2 + (transfers.length > 0 ? transfers.length + 1 : 0);
  const tree = room - fixed >= 1 ? buildTree(state, sources, { now, maxRows: room - fixed }) : null;
  const lines: Line[] = [];
  if (tree && tree.rows.length > 0) {
    lines.push([seg('┏━ ', 'frame'), seg('Dependency Graph', 'dim')]);
    for (const r of tree.rows) lines.push(treeLine(r, now, opts.eta));
    if (tree.hiddenCount > 0) lines.push(moreLine(tree.hidden, tree.hiddenCount));
  }
  if (transfers.length > 0) {
    lines.push([seg(lines.length > 0 ? '┣━ ' : '┏━ ', 'frame'), seg('Downloads', 'dim')]);
    for (const t of transfers) lines.push(transferLine(t, now));
  }
  lines.push(summaryLine(summary, state, sources, now, opts, lines.length > 0));
  return lines.slice(-room).map((l) => fit(l, opts.columns - 1));
}

function treeLine(r: TreeRow, now: number | null, eta: EtaTable | null): Line {
  const d = r.drv;
  const out: Segment[] = [seg('┃ ', 'frame'), seg(r.guide, 'frame'), seg(r.skipped > 0 ? '⋯ ' : '', 'dim'),
    seg(`${MARK[d.status]} `, TONES[d.status]), seg(d.name, d.status === 'planned' ? 'dim' : 'normal')];
  const took = durationMs(d, now);
  if (d.status === 'running') {
    if (d.phase) out.push(seg(` ${d.phase}`, 'dim'));
    if (d.frozenAt !== null) out.push(seg(' frozen', 'waiting'));
    out.push(seg(` ⏱ ${secs(took)}`, 'running'));
    const left = eta ? drvLeft(d, now, eta) : '';
    if (left !== '') out.push(seg(` (${left})`, 'dim'));
  } else if (d.status === 'failed' || d.status === 'cancelled' || d.status === 'interrupted' || d.status === 'waiting') {
    if (d.reason) out.push(seg(` ${oneLine(d.reason)}`, TONES[d.status]));
    if (took !== null && d.status !== 'waiting') out.push(seg(` ⏱ ${secs(took)}`, 'dim'));
  } else if (took !== null) {
    out.push(seg(` ⏱ ${secs(took)}`, 'dim'));
  }
  return out;
}

function moreLine(hidden: Readonly<Partial<Record<Derivation['status'], number>>>, count: number): Line {
  const parts = (Object.keys(MARK) as Derivation['status'][]).filter((s) => (hidden[s] ?? 0) > 0).map((s) => `${MARK[s]} ${hidden[s]}`);
  return [seg('┃ ', 'frame'), seg(`⋯ ${count} more: ${parts.join(' ')}`, 'dim')];
}

function transferLine(t: Transfer, now: number | null): Line {
  const size = t.expectedBytes > 0 ? `${bytes(t.doneBytes)}/${bytes(t.expectedBytes)}` : bytes(t.doneBytes);
  const end = t.stoppedAt ?? now;
  const ms = t.startedAt === null || end === null ? null : end - t.startedAt;
  const rate = ms !== null && ms > 0 && t.doneBytes > 0 ? ` ${bytes((t.doneBytes * 1000) / ms)}/s` : '';
  const mark = TRANSFER_MARK[t.status];
  const tone: Tone = t.status === 'running' ? 'download' : t.status === 'done' ? 'done' : 'failed';
  return [seg('┃ ', 'frame'), seg(`${mark} `, tone), seg(storePathName(t.what)), seg(` ${size}${rate}`, 'dim'), seg(` ⏱ ${secs(ms)}`, 'dim')];
}

function summaryLine(s: BuildSummary, state: State, sources: readonly SourceId[], now: number | null, opts: FrameOptions, framed: boolean): Line {
  const c = s.counts;
  const out: Segment[] = [seg(framed ? '┗━ ' : '', 'frame'), seg('∑ ', 'frame')];
  if (opts.spinner && !s.finished && now !== null) out.push(seg(`${SPINNER[Math.floor(now / 100) % SPINNER.length]} `, 'running'));
  const part = (text: string, tone: Tone): void => { out.push(seg(text, tone), seg(' │ ', 'frame')); };
  part(`${MARK.running} ${c.running}`, c.running > 0 ? 'running' : 'dim');
  part(`${MARK.built} ${c.built + c.substituted}/${s.total}`, 'done');
  if (c.failed > 0) part(`${MARK.failed} ${c.failed}`, 'failed');
  if (c.cancelled > 0) part(`${MARK.cancelled} ${c.cancelled}`, 'waiting');
  if (c.interrupted > 0) part(`${MARK.interrupted} ${c.interrupted}`, 'failed');
  part(`${MARK.planned} ${c.planned + c.waiting}`, 'dim');
  if (s.downloading > 0 || s.downloaded > 0) part(`${TRANSFER_MARK.running} ${s.downloading} ${MARK.substituted} ${s.downloaded}`, 'download');
  out.push(seg(`⏱ ${secs(s.elapsedMs)}`, 'normal'));
  const left = opts.eta && !s.finished ? etaLeft(state, sources, opts.eta) : null;
  if (left !== null) out.push(seg(` │ ETA ~${secs(left)}`, 'dim'));
  return out;
}

function etaLeft(state: State, sources: readonly SourceId[], eta: EtaTable): number | null {
  let best: number | null = null;
  for (const s of sources) {
    const job = state.jobs.get(s);
    const ms = job ? jobLeftMs(job, state, eta) : null;
    if (ms !== null) best = Math.max(best ?? 0, ms);
  }
  return best;
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' | ');

/** Cut to `width` code points ('…' marks a cut); peer text loses its control characters. */
export function fit(line: Line, width: number): Line {
  const out: Segment[] = [];
  let left = Math.max(1, width);
  for (const s of line) {
    const chars = [...sanitize(s.text)];
    if (chars.length < left || (chars.length === left && s === line[line.length - 1])) {
      out.push({ text: chars.join(''), tone: s.tone });
      left -= chars.length;
      continue;
    }
    out.push({ text: chars.slice(0, Math.max(0, left - 1)).join('') + '…', tone: s.tone });
    return out;
  }
  return out;
}

/** The line as plain text (non-terminal output, tests). */
export const lineText = (line: Line): string => line.map((s) => s.text).join('');
