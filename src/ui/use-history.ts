// The History view's data: a page of past jobs for the current filter and sort (refreshed while shown), one job's
// derivations after Enter, or the analytics pane; asked of the history (the daemon's worker, or a file).
import { useEffect, useRef, useState } from 'react';
import type { Stats } from '../history/analytics.js';
import type { DrvSummary, JobSummary } from '../history/queries.js';
import type { HistoryQuery } from '../history/protocol.js';
import type { HistoryAsk } from './use-eta.js';
import type { Sort } from './rows.js';
import { JOB_SORT_OF, filterQuery } from './rows-history.js';
import { hostFilter, hostShown } from './fleet-rows.js';
import { askHost, fleetJobs, fleetStats, problemsLine, type FleetHistory, type HostProblem, type HostStats } from './fleet-history.js';

export type HistoryPane = 'jobs' | 'stats';

export type HistoryData =
  | { readonly kind: 'none'; readonly message: string }
  /** Several machines: `hosts[i]` is the watched host of `jobs[i]`; `problems`, the hosts that gave no answer. */
  | { readonly kind: 'jobs'; readonly jobs: readonly JobSummary[]; readonly hosts?: readonly string[]; readonly problems?: readonly HostProblem[] }
  | { readonly kind: 'job'; readonly job: JobSummary; readonly derivations: readonly DrvSummary[]; readonly host?: string }
  | { readonly kind: 'stats'; readonly stats: Stats; readonly perHost?: readonly HostStats[] };

export type HistoryParams = {
  readonly shown: boolean; readonly job: number | null; readonly pane: HistoryPane; readonly filter: string; readonly sort: Sort;
  /** Several machines: the host whose history holds `job`. */
  readonly jobHost?: string | null;
};

type Loaded = { readonly data: HistoryData; readonly error: string | null };

function queryFor(p: HistoryParams, filter = p.filter): HistoryQuery | string {
  if (p.pane === 'stats') return { kind: 'stats', days: 14, limit: 8 };
  if (p.job !== null) return { kind: 'job', id: p.job };
  const f = filterQuery(filter);
  if (f.problem) return f.problem;
  return { kind: 'jobs', limit: 500, user: f.user, status: f.status, name: f.name, since: f.since, until: f.until,
    sort: JOB_SORT_OF[p.sort.column] ?? 'started', desc: p.sort.desc };
}

/** One host's answer as the view's data. */
async function loadOne(ask: HistoryAsk, q: HistoryQuery, host?: string): Promise<Loaded> {
  const r = await ask(q);
  if (!r.ok) return { data: { kind: 'none', message: `history${host !== undefined ? ` of ${host}` : ''}: ${r.reason}` }, error: r.reason };
  const res = r.result;
  const data: HistoryData = q.kind === 'stats' ? { kind: 'stats', stats: res as Stats }
    : q.kind === 'job' ? (res ? { kind: 'job', ...(res as { job: JobSummary; derivations: DrvSummary[] }), ...(host !== undefined ? { host } : {}) } : { kind: 'none', message: 'that job is no longer in the history' })
      : { kind: 'jobs', jobs: res as JobSummary[] };
  return { data, error: r.historyError };
}

/** Several machines: the hosts the filter's `host:` words choose are asked at once; one job from its own host. */
export async function loadFleet(fleet: FleetHistory, p: HistoryParams, waitMs?: number): Promise<Loaded> {
  const { hosts: wanted, rest } = hostFilter(p.filter);
  const q = queryFor(p, rest);
  if (typeof q === 'string') return { data: { kind: 'none', message: q }, error: null };
  if (q.kind === 'job') {
    const host = p.jobHost ?? fleet.hosts()[0] ?? '';
    return loadOne((qq) => askHost(fleet, host, qq, waitMs), q, host);
  }
  const hosts = fleet.hosts().filter((h) => hostShown(wanted, h));
  if (q.kind === 'stats') {
    const perHost = await fleetStats(fleet, fleet.hosts(), q, waitMs);
    const first = perHost.find((h): h is Extract<HostStats, { stats: Stats }> => 'stats' in h);
    const problems = problemsLine(perHost.filter((h): h is HostProblem => 'reason' in h));
    return first ? { data: { kind: 'stats', stats: first.stats, perHost }, error: problems } : { data: { kind: 'none', message: `history: ${problems ?? 'no hosts'}` }, error: problems };
  }
  if (q.kind !== 'jobs') return { data: { kind: 'none', message: `history: ${q.kind} is not shown here` }, error: null };
  const m = await fleetJobs(fleet, hosts, q, waitMs);
  return { data: { kind: 'jobs', jobs: m.jobs.map((j) => j.job), hosts: m.jobs.map((j) => j.host), problems: m.problems },
    error: problemsLine(m.problems) ?? m.historyError };
}

export function useHistory(ask: HistoryAsk | undefined, p: HistoryParams, everyMs = 5000, fleet?: FleetHistory): Loaded {
  const [out, setOut] = useState<Loaded>({ data: { kind: 'none', message: 'reading the history…' }, error: null });
  // The latest request wins: an answer to an older one (another page, a job closed meanwhile) is dropped.
  const latest = useRef(0);
  const key = JSON.stringify([p.shown, p.job, p.jobHost ?? null, p.pane, p.pane === 'stats' ? '' : p.filter, p.job === null ? p.sort : null]);
  useEffect(() => {
    if (!ask && !fleet) { setOut({ data: { kind: 'none', message: 'no build history here (a recording, or a daemon started with --no-history)' }, error: null }); return; }
    if (!p.shown) return;
    const q = queryFor(p);
    if (typeof q === 'string') { setOut({ data: { kind: 'none', message: q }, error: null }); return; }
    // One load at a time: a host that takes its whole wait must not have its answer dropped by the next refresh.
    let busy = false;
    const load = (): void => {
      if (busy) return;
      busy = true;
      const mine = ++latest.current;
      void (fleet ? loadFleet(fleet, p) : loadOne(ask!, q)).then((r) => {
        busy = false;
        if (mine === latest.current) setOut(r);
      });
    };
    load();
    const timer = setInterval(load, everyMs);
    // Closing the view (or a new query) bumps `latest`: an answer still on its way is dropped.
    return () => { latest.current++; clearInterval(timer); };
  }, [ask, fleet, key, everyMs]);

  return out;
}
