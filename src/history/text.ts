// Readable tables and text plots of the history (the CLI and the History view share them). Pure.
import type { Stats } from './analytics.js';
import type { DrvSummary, JobSummary } from './queries.js';
import { sanitize } from '../state/text.js';

const SPARKS = '▁▂▃▄▅▆▇█';

/** One character per value, scaled to the largest. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => (max <= 0 ? SPARKS[0] : SPARKS[Math.min(7, Math.floor((v / max) * 7.999))])).join('');
}

/** `████▌     ` : a bar of `width` columns for value/max, with eighth blocks. */
export function textBar(value: number, max: number, width: number): string {
  if (max <= 0 || width <= 0) return ' '.repeat(Math.max(0, width));
  const eighths = Math.round((Math.max(0, value) / max) * width * 8);
  const full = Math.min(width, Math.floor(eighths / 8));
  const part = full < width ? ' ▏▎▍▌▋▊▉'[eighths % 8]! : '';
  return ('█'.repeat(full) + part).padEnd(width).slice(0, width);
}

/** 4.2s, 1m05s, 2h03m (the UI shows durations with this too, as `duration`). */
export function seconds(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export const when = (at: number | null): string => (at === null ? '-' : new Date(at).toISOString().slice(0, 19).replace('T', ' '));

type Col<T> = { readonly title: string; readonly cell: (row: T) => string; readonly right?: boolean };

export function table<T>(rows: readonly T[], cols: readonly Col<T>[], width = 120): string {
  // Names, hosts and phases come from any user's log records: no control character reaches the terminal.
  const cells = rows.map((r) => cols.map((c) => sanitize(c.cell(r).replace(/[\r\n\t]+/g, ' '))));
  const widths = cols.map((c, i) => Math.min(60, Math.max(c.title.length, ...cells.map((r) => r[i]!.length))));
  const line = (vals: readonly string[]): string => vals.map((v, i) => {
    const w = widths[i]!;
    const t = v.length > w ? v.slice(0, w - 1) + '…' : v;
    return cols[i]!.right ? t.padStart(w) : t.padEnd(w);
  }).join('  ').trimEnd().slice(0, width);
  return [line(cols.map((c) => c.title)), ...cells.map(line)].join('\n') + '\n';
}

export const JOB_TABLE: readonly Col<JobSummary>[] = [
  { title: 'ID', cell: (j) => String(j.id), right: true },
  { title: 'STARTED (UTC)', cell: (j) => when(j.startedAt) },
  { title: 'USER', cell: (j) => j.user ?? (j.uid === null ? '-' : String(j.uid)) },
  { title: 'STATUS', cell: (j) => j.status },
  { title: 'TIME', cell: (j) => seconds(j.durationMs), right: true },
  { title: 'BUILT', cell: (j) => String(j.built), right: true },
  { title: 'FAILED', cell: (j) => String(j.failed), right: true },
  { title: 'SUBST', cell: (j) => String(j.substituted), right: true },
  { title: 'WHAT', cell: (j) => j.command },
];

export const DRV_TABLE: readonly Col<DrvSummary>[] = [
  { title: 'STATUS', cell: (d) => (d.substituted ? 'substituted' : d.status) },
  { title: 'NAME', cell: (d) => d.name },
  { title: 'TIME', cell: (d) => seconds(d.durationMs), right: true },
  { title: 'STARTED (UTC)', cell: (d) => when(d.startedAt) },
  { title: 'HOST', cell: (d) => d.host },
  { title: 'PROCS', cell: (d) => (d.peakProcs === null ? '-' : String(d.peakProcs)), right: true },
  { title: 'CPU', cell: (d) => seconds(d.cpuMs), right: true },
  { title: 'RSS', cell: (d) => mib(d.peakRss), right: true },
  { title: 'OUT', cell: (d) => mib(d.outputBytes), right: true },
  { title: 'PHASES', cell: (d) => d.phases.map(([p, ms]) => `${p.replace(/Phase$/, '')} ${seconds(ms)}`).join(', ') || (d.reason ?? '') },
];

const mib = (n: number | null): string => (n === null ? '-' : n < 1024 * 1024 ? `${(n / 1024).toFixed(0)}K` : `${(n / 2 ** 20).toFixed(1)}M`);

export function statsText(s: Stats, width = 100): string {
  const out: string[] = [];
  out.push(`Cache hits: ${s.cache.substituted} substituted, ${s.cache.built} built` +
    (s.cache.share === null ? '' : ` (${(s.cache.share * 100).toFixed(1)}% from a cache)`), '');
  out.push('Build time per day (UTC)');
  const max = Math.max(0, ...s.perDay.map((d) => d.buildMs));
  for (const d of s.perDay) out.push(`  ${d.day} ${textBar(d.buildMs, max, Math.max(10, width - 40))} ${seconds(d.buildMs).padStart(7)} ${String(d.builds).padStart(5)} builds`);
  if (s.perDay.length === 0) out.push('  (no builds)');
  // One character a day, as the bars above: worth a line only for several days (one day is one lone block).
  else if (s.perDay.length > 1) out.push(`  the same, a character a day: ${sparkline(s.perDay.map((d) => d.buildMs))}`);
  out.push('', 'Slowest derivations');
  out.push(indent(table(s.slowest, [
    { title: 'NAME', cell: (r) => r.name }, { title: 'MEAN', cell: (r) => seconds(r.meanMs), right: true },
    { title: 'MAX', cell: (r) => seconds(r.maxMs), right: true }, { title: 'BUILDS', cell: (r) => String(r.builds), right: true }], width)));
  out.push('Most frequently rebuilt (same name, new .drv: inputs that change)');
  out.push(indent(table(s.rebuilt, [
    { title: 'NAME', cell: (r) => r.name }, { title: 'DRVS', cell: (r) => String(r.drvs), right: true },
    { title: 'BUILDS', cell: (r) => String(r.builds), right: true }], width)));
  out.push('Failure rate per package');
  out.push(indent(table(s.failureRate, [
    { title: 'PNAME', cell: (r) => r.pname }, { title: 'FAILED', cell: (r) => String(r.failed), right: true },
    { title: 'BUILDS', cell: (r) => String(r.builds), right: true }, { title: 'RATE', cell: (r) => `${(r.rate * 100).toFixed(0)}%`, right: true }], width)));
  return out.join('\n') + '\n';
}

const indent = (t: string): string => t.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n');

/** "2d", "3h", "90m", "2026-01-31", an ISO time -> ms since the epoch; null when unreadable. */
export function parseSince(text: string, now = Date.now()): number | null {
  const rel = /^(\d+(?:\.\d+)?)\s*(m|min|h|d|w)$/.exec(text.trim());
  if (rel) return now - Number(rel[1]) * { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[rel[2] as 'm']!;
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : null;
}
