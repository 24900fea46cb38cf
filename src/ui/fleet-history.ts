// The History view across watched hosts: each host's daemon answers from its own database (a remote one through its
// proxy, as the ssh user there), the answers are merged here: jobs in the view's order with a HOST column, one job
// from the host it was recorded on, analytics per host. A host that does not answer in time, or answers with
// something that is not a history answer (counted), is a row saying so; the others are shown all the same.
import type { Stats } from '../history/analytics.js';
import { checkAnswer } from '../history/answer-shape.js';
import type { HistoryQuery } from '../history/protocol.js';
import type { JobSort, JobSummary } from '../history/queries.js';
import type { HistoryAnswer } from '../history/source.js';
import type { Reply } from '../remote/connection.js';
import type { HistoryAsk } from './use-eta.js';
import { compareKeys } from './rows.js';

export type FleetHistory = {
  /** The watched hosts, in the order the header lists them. */
  readonly hosts: () => readonly string[];
  readonly ask: (host: string, q: HistoryQuery) => Promise<HistoryAnswer>;
};

export type HostProblem = { readonly host: string; readonly reason: string };

/** A host's answer stops being waited for after this: the view shows the others and says which host is late. */
export const HOST_WAIT_MS = 10_000;

/** Bad answers per host: counted, the last reason kept for the status line. */
export type BadAnswers = Map<string, { count: number; last: string }>;

/** A remote host's history through its connection: the reply checked against the query before anyone reads it. */
export function remoteHistory(name: string, send: (query: unknown) => Promise<Reply>, bad: BadAnswers): HistoryAsk {
  return async (q) => {
    const r = await send(q);
    if (!r.ok) return { ok: false, reason: r.reason ?? 'refused' };
    const checked = r.history ? checkAnswer(q, r.history.result) : { ok: false as const, reason: 'a reply without a history answer' };
    const historyError = r.history && (r.history.historyError === null || typeof r.history.historyError === 'string') ? r.history.historyError : null;
    if (checked.ok) return { ok: true, result: checked.value, historyError };
    const b = bad.get(name) ?? { count: 0, last: '' };
    b.count++;
    b.last = checked.reason;
    bad.set(name, b);
    return { ok: false, reason: `bad history answer (${b.count} so far): ${checked.reason}` };
  };
}

export const waitText = (ms: number): string => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);

/** One host's answer, or why there is none, in at most `waitMs`. */
export async function askHost(fleet: FleetHistory, host: string, q: HistoryQuery, waitMs = HOST_WAIT_MS): Promise<HistoryAnswer> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<HistoryAnswer>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer in ${waitText(waitMs)}` }), waitMs);
  });
  const asked = fleet.ask(host, q).catch((err: unknown) => ({ ok: false as const, reason: err instanceof Error ? err.message : String(err) }));
  try { return await Promise.race([asked, late]); } finally { clearTimeout(timer); }
}

const JOB_KEY: Readonly<Record<JobSort, (j: JobSummary) => string | number>> = {
  // SQLite orders NULL first when ascending: the same here, so one host's page and the merged list agree.
  started: (j) => j.startedAt ?? -Infinity, user: (j) => j.user ?? '', command: (j) => j.command, status: (j) => j.status,
  duration: (j) => j.durationMs ?? -Infinity, built: (j) => j.built, failed: (j) => j.failed, substituted: (j) => j.substituted,
};

export type HostJob = { readonly host: string; readonly job: JobSummary };

/** Each host's page (already in the view's order) merged into one, in that order, ties by host then id; cut to `limit`. */
export function mergeJobs(parts: readonly { host: string; jobs: readonly JobSummary[] }[], sort: JobSort, desc: boolean, limit: number): HostJob[] {
  const key = JOB_KEY[sort] ?? JOB_KEY.started;
  const all = parts.flatMap((p) => p.jobs.map((job) => ({ host: p.host, job, k: key(job) })));
  const dir = desc ? -1 : 1;
  all.sort((a, b) => {
    const byKey = a.k === b.k ? 0 : typeof a.k === 'number' && typeof b.k === 'number' ? (a.k < b.k ? -1 : 1) : compareKeys(a.k, b.k);
    return dir * (byKey || compareKeys(a.host, b.host) || a.job.id - b.job.id);
  });
  return all.slice(0, limit).map(({ host, job }) => ({ host, job }));
}

export type FleetJobs = { readonly jobs: readonly HostJob[]; readonly problems: readonly HostProblem[] };

/** The jobs query asked of every host in `hosts` at once, merged. */
export async function fleetJobs(fleet: FleetHistory, hosts: readonly string[], q: Extract<HistoryQuery, { kind: 'jobs' }>, waitMs = HOST_WAIT_MS): Promise<FleetJobs & { historyError: string | null }> {
  const answers = await Promise.all(hosts.map(async (host) => ({ host, a: await askHost(fleet, host, q, waitMs) })));
  const parts: { host: string; jobs: JobSummary[] }[] = [];
  const problems: HostProblem[] = [];
  let historyError: string | null = null;
  for (const { host, a } of answers) {
    if (a.ok) {
      parts.push({ host, jobs: a.result as JobSummary[] });
      if (a.historyError) historyError ??= `${host}: ${a.historyError}`;
    } else problems.push({ host, reason: a.reason });
  }
  return { jobs: mergeJobs(parts, q.sort ?? 'started', q.desc ?? true, q.limit ?? 500), problems, historyError };
}

export type HostStats = { readonly host: string; readonly stats: Stats } | HostProblem;

/** Analytics of each host, in the hosts' order: a database's sums are not merged with another's. */
export async function fleetStats(fleet: FleetHistory, hosts: readonly string[], q: Extract<HistoryQuery, { kind: 'stats' }>, waitMs = HOST_WAIT_MS): Promise<HostStats[]> {
  return Promise.all(hosts.map(async (host): Promise<HostStats> => {
    const a = await askHost(fleet, host, q, waitMs);
    return a.ok ? { host, stats: a.result as Stats } : { host, reason: a.reason };
  }));
}

/** Problems as one status line: which hosts gave no history, and why. */
export const problemsLine = (problems: readonly HostProblem[]): string | null =>
  (problems.length === 0 ? null : problems.map((p) => `${p.host}: ${p.reason}`).join(' · '));
