// The History view's table across watched hosts: the single-host rows (rows-history.ts) with a last HOST column, keys
// naming the host (two databases number their jobs alike), and a row per host that gave no answer, saying why.
import { statsText } from '../history/text.js';
import type { HostStats } from './fleet-history.js';
import { HOST_COLUMN, hostFilter, hostRow } from './fleet-rows.js';
import { historyViewRows, type HistoryRows } from './rows-history.js';
import type { Row, Sort } from './rows.js';
import type { HistoryData } from './use-history.js';

export function historyRowsOf(data: HistoryData, sort: Sort, filter: string): HistoryRows {
  if (data.kind === 'job' && data.host !== undefined) {
    // The jobs' `host:` words chose the host; a job's derivations are filtered by the rest.
    const one = historyViewRows(data, sort, hostFilter(filter).rest);
    return { ...one, mode: one.mode.replace(/^job (\d+):/, `job $1 on ${data.host}:`) };
  }
  if (data.kind !== 'jobs' || !data.hosts) return historyViewRows(data, sort, filter);
  const hosts = data.hosts;
  const one = historyViewRows(data, sort, filter);
  const rows: Row[] = one.rows.map((r, i) => hostRow(hosts[i] ?? '?', r));
  const flex = one.columns.findIndex((c) => c.flex);
  const status = one.columns.findIndex((c) => c.title === 'STATUS');
  for (const p of data.problems ?? []) {
    const cells = one.columns.map((_, i) => (i === flex ? `no history from ${p.host}: ${p.reason}` : i === status ? 'no answer' : ''));
    rows.push({ key: `${p.host}\u0000h:problem`, tone: 'dim', cells: [...cells, p.host], host: p.host });
  }
  return { rows, columns: [...one.columns, HOST_COLUMN], mode: one.mode };
}

/** The analytics pane of several hosts: each host's own, under its name, each in its share of `lines`. */
export function fleetStatsText(perHost: readonly HostStats[], width: number, lines = Infinity): string {
  const share = Math.max(2, Math.floor(lines / Math.max(1, perHost.length)));
  return perHost.map((h) => {
    const body = 'stats' in h ? statsText(h.stats, width).split('\n') : [`no history: ${h.reason}`];
    return [`── ${h.host} ──`, ...body.filter((l, i) => i === 0 || l !== '' || body[i - 1] !== '')].slice(0, share).join('\n');
  }).join('\n');
}
