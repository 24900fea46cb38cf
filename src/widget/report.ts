// What `run`/`watch` print as text: one line per build that started or ended when stderr is not a terminal (nom
// in CI logs), and the final summary. Pure: plain text, no escape codes.
import { buildFailures, buildSummary, slowestBuilds } from '../state/build-summary.js';
import type { SourceId } from '../state/events.js';
import type { Derivation, DerivationStatus, State } from '../state/model.js';
import { durationMs, statusCounts, type StatusCounts } from '../state/selectors.js';
import { sanitize } from '../state/text.js';
import { bytes } from '../ui/format.js';
import { MARK, TRANSFER_MARK } from '../state/marks.js';
import { secs } from './frame.js';

const WORDS: Partial<Record<DerivationStatus, string>> = {
  running: 'started', built: 'built', substituted: 'substituted', failed: 'failed', cancelled: 'cancelled',
  interrupted: 'interrupted', waiting: 'waiting',
};

/** `[nix-btm] ✔ base-1.0 built in 2s (2/13)`; null for a change not worth a line (planned, already valid). */
export function plainLine(d: Derivation, done: number, total: number): string | null {
  const word = WORDS[d.status];
  if (!word) return null;
  const ms = d.stoppedAt !== null ? durationMs(d) : null;
  const took = ms !== null ? ` in ${secs(ms)}` : '';
  const why = (d.status === 'failed' || d.status === 'cancelled' || d.status === 'interrupted' || d.status === 'waiting') && d.reason
    ? `: ${d.reason.split('\n', 1)[0]}` : '';
  return sanitize(`[nix-btm] ${MARK[d.status]} ${d.name} ${word}${why}${d.status === 'running' ? '' : took} (${done}/${total})`);
}

/** The end: the counts line (as before), failures with Nix's reasons, what was downloaded, total and slowest times. */
export function finalReport(state: State, sources: readonly SourceId[], now: number | null): string[] {
  const s = buildSummary(state, sources, now);
  if (s.total === 0 && s.downloaded === 0 && s.counts.valid === 0) return [];
  const lines = [`nix-btm: ${endLine(statusCounts(state))}`];
  for (const f of buildFailures(state, sources)) lines.push(`nix-btm: ${MARK.failed} ${f.name}: ${f.reason}`);
  if (s.downloaded > 0) lines.push(`nix-btm: ${TRANSFER_MARK.running} ${s.downloaded} path${s.downloaded === 1 ? '' : 's'} downloaded (${bytes(s.downloadedBytes)})`);
  const slow = slowestBuilds(state, sources, 3).map((b) => `${b.drv.name} ${secs(b.ms)}`);
  lines.push(`nix-btm: took ${secs(s.elapsedMs)}${slow.length > 0 ? `; slowest: ${slow.join(', ')}` : ''}`);
  return lines.map((l) => sanitize(l));
}

/** The counts line of `run`/`feed`: the same outcomes as `replay` and the dashboard, the rarer ones only when present. */
export function endLine(c: StatusCounts): string {
  const also = [c.substituted > 0 ? `${c.substituted} substituted` : '', c.valid > 0 ? `${c.valid} already valid` : ''].filter((x) => x !== '');
  return `${c.built} built, ${also.length > 0 ? `${also.join(', ')}, ` : ''}${c.failed} failed, ${c.cancelled} cancelled, ${c.interrupted} interrupted`;
}
