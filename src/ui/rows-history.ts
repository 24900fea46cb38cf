// History view rows: past jobs (sorted by the history itself), one job's derivations (sorted here), and the query a
// filter text stands for: "user:alice status:failed since:2d until:2026-01-31 hello" (the rest matches names).
import type { DrvSummary, JobSort, JobSummary, JobsQuery } from '../history/queries.js';
import { parseSince } from '../history/text.js';
import { bytes, duration } from './format.js';
import type { Column, Row, Sort, Tone } from './rows.js';
import { sortBy } from './rows.js';

// `drop`: given up in this order on a narrow terminal (columns.ts); `max`: what a column grows to for its content.
export const HISTORY_JOB_COLUMNS: readonly Column[] = [
  { title: 'STARTED', width: 19 },
  { title: 'USER', width: 8, max: 12, drop: 4 },
  { title: 'STATUS', width: 11, drop: 5 },
  { title: 'TIME', width: 7, align: 'right' },
  { title: 'BUILT', width: 5, align: 'right', drop: 3 },
  { title: 'FAILED', width: 6, align: 'right', drop: 2 },
  { title: 'SUBST', width: 5, align: 'right', drop: 1 },
  { title: 'WHAT', width: 10, flex: true },
];

/** The history's sort for each column above. */
export const JOB_SORT_OF: readonly JobSort[] = ['started', 'user', 'status', 'duration', 'built', 'failed', 'substituted', 'command'];

export const HISTORY_DRV_COLUMNS: readonly Column[] = [
  { title: 'STATUS', width: 11 },
  { title: 'DERIVATION', width: 12, flex: true },
  { title: 'TIME', width: 7, align: 'right' },
  { title: 'STARTED', width: 19, drop: 6 },
  { title: 'HOST', width: 8, max: 16, drop: 5 },
  { title: 'PROCS', width: 5, align: 'right', drop: 4 },
  { title: 'CPU', width: 6, align: 'right', drop: 3 },
  { title: 'RSS', width: 5, align: 'right', drop: 2 },
  { title: 'OUT', width: 5, align: 'right', drop: 1 },
];

const DRV_KEYS: readonly ((d: DrvSummary) => string | number)[] = [
  (d) => d.status, (d) => d.name, (d) => d.durationMs ?? -1, (d) => d.startedAt ?? 0, (d) => d.host, (d) => d.peakProcs ?? -1,
  (d) => d.cpuMs ?? -1, (d) => d.peakRss ?? -1, (d) => d.outputBytes ?? -1,
];

const local = (at: number | null): string => {
  if (at === null) return '-';
  const d = new Date(at);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

const toneOf = (status: string): Tone =>
  status === 'failed' || status === 'interrupted' ? 'failed' : status === 'running' ? 'running' : status === 'cancelled' ? 'dim' : 'done';

export function historyJobRows(jobs: readonly JobSummary[]): Row[] {
  return jobs.map((j) => ({
    key: `h:${j.id}`, tone: toneOf(j.status), job: String(j.id),
    cells: [local(j.startedAt), j.user ?? (j.uid === null ? '-' : String(j.uid)), j.status, duration(j.durationMs), String(j.built),
      String(j.failed), String(j.substituted), j.command],
  }));
}

export function historyDrvRows(drvs: readonly DrvSummary[], sort: Sort, filter: string): Row[] {
  const shown = filter === '' ? drvs : drvs.filter((d) => d.name.toLowerCase().includes(filter.toLowerCase()));
  return sortBy([...shown], DRV_KEYS[sort.column] ?? DRV_KEYS[3]!, sort.desc).map((d) => ({
    key: `hd:${d.path}`, tone: d.substituted ? 'dim' : toneOf(d.status), copy: d.path,
    cells: [d.substituted ? 'substituted' : d.status, d.name, duration(d.durationMs), local(d.startedAt), d.host,
      d.peakProcs === null ? '-' : String(d.peakProcs), duration(d.cpuMs), d.peakRss === null ? '-' : bytes(d.peakRss),
      d.outputBytes === null ? '-' : bytes(d.outputBytes)],
  }));
}

/** The filter text as a query: key:value words, the rest a name to match. */
export function filterQuery(text: string, now = Date.now()): JobsQuery & { readonly problem?: string } {
  const q: { user?: string; status?: string; since?: number; until?: number; name?: string; problem?: string } = {};
  const rest: string[] = [];
  for (const word of text.trim().split(/\s+/).filter((w) => w !== '')) {
    const m = /^(user|status|since|until):(.+)$/.exec(word);
    if (!m) { rest.push(word); continue; }
    const [, key, value] = m as unknown as [string, 'user' | 'status' | 'since' | 'until', string];
    if (key === 'user' || key === 'status') q[key] = value;
    else {
      const t = parseSince(value, now);
      if (t === null) q.problem = `${key}:${value} is not a time (2d, 6h, 2026-01-31)`;
      else q[key] = t;
    }
  }
  if (rest.length > 0) q.name = rest.join(' ');
  return q;
}

export type HistoryRows = { readonly rows: readonly Row[]; readonly columns: readonly Column[]; readonly mode: string };

/** What the History view's table shows for the data at hand. */
export function historyViewRows(data: { kind: string; jobs?: readonly JobSummary[]; derivations?: readonly DrvSummary[]; job?: JobSummary },
  sort: Sort, filter: string): HistoryRows {
  const f = filter ? ` · filter "${filter}"` : '';
  if (data.kind === 'job' && data.job && data.derivations) {
    return { rows: historyDrvRows(data.derivations, sort, filter), columns: HISTORY_DRV_COLUMNS,
      mode: `job ${data.job.id}: ${data.derivations.length} derivations · Esc back${f}` };
  }
  if (data.kind === 'stats') return { rows: [], columns: HISTORY_JOB_COLUMNS, mode: 'analytics · m jobs' };
  return { rows: historyJobRows(data.jobs ?? []), columns: HISTORY_JOB_COLUMNS, mode: `past jobs · m analytics${f}` };
}
