// The History view's data: a page of past jobs for the current filter and sort (refreshed while shown), one job's
// derivations after Enter, or the analytics pane; asked of the history (the daemon's worker, or a file).
import { useEffect, useRef, useState } from 'react';
import type { Stats } from '../history/analytics.js';
import type { DrvSummary, JobSummary } from '../history/queries.js';
import type { HistoryQuery } from '../history/protocol.js';
import type { HistoryAsk } from './use-eta.js';
import type { Sort } from './rows.js';
import { JOB_SORT_OF, filterQuery } from './rows-history.js';

export type HistoryPane = 'jobs' | 'stats';

export type HistoryData =
  | { readonly kind: 'none'; readonly message: string }
  | { readonly kind: 'jobs'; readonly jobs: readonly JobSummary[] }
  | { readonly kind: 'job'; readonly job: JobSummary; readonly derivations: readonly DrvSummary[] }
  | { readonly kind: 'stats'; readonly stats: Stats };

export type HistoryParams = { readonly shown: boolean; readonly job: number | null; readonly pane: HistoryPane; readonly filter: string; readonly sort: Sort };

function queryFor(p: HistoryParams): HistoryQuery | string {
  if (p.pane === 'stats') return { kind: 'stats', days: 14, limit: 8 };
  if (p.job !== null) return { kind: 'job', id: p.job };
  const f = filterQuery(p.filter);
  if (f.problem) return f.problem;
  return { kind: 'jobs', limit: 500, user: f.user, status: f.status, name: f.name, since: f.since, until: f.until,
    sort: JOB_SORT_OF[p.sort.column] ?? 'started', desc: p.sort.desc };
}

export function useHistory(ask: HistoryAsk | undefined, p: HistoryParams, everyMs = 5000): { data: HistoryData; error: string | null } {
  const [out, setOut] = useState<{ data: HistoryData; error: string | null }>({ data: { kind: 'none', message: 'reading the history…' }, error: null });
  // The latest request wins: an answer to an older one (another page, a job closed meanwhile) is dropped.
  const latest = useRef(0);
  const key = JSON.stringify([p.shown, p.job, p.pane, p.pane === 'stats' ? '' : p.filter, p.job === null ? p.sort : null]);
  useEffect(() => {
    if (!ask) { setOut({ data: { kind: 'none', message: 'no build history here (a recording, or a daemon started with --no-history)' }, error: null }); return; }
    if (!p.shown) return;
    const q = queryFor(p);
    if (typeof q === 'string') { setOut({ data: { kind: 'none', message: q }, error: null }); return; }
    const load = (): void => {
      const mine = ++latest.current;
      void ask(q).then((r) => {
        if (mine !== latest.current) return;
        if (!r.ok) { setOut({ data: { kind: 'none', message: `history: ${r.reason}` }, error: r.reason }); return; }
        const res = r.result;
        const data: HistoryData = q.kind === 'stats' ? { kind: 'stats', stats: res as Stats }
          : q.kind === 'job' ? (res ? { kind: 'job', ...(res as { job: JobSummary; derivations: DrvSummary[] }) } : { kind: 'none', message: 'that job is no longer in the history' })
            : { kind: 'jobs', jobs: res as JobSummary[] };
        setOut({ data, error: r.historyError });
      });
    };
    load();
    const timer = setInterval(load, everyMs);
    // Closing the view (or a new query) bumps `latest`: an answer still on its way is dropped.
    return () => { latest.current++; clearInterval(timer); };
  }, [ask, key, everyMs]);

  return out;
}
