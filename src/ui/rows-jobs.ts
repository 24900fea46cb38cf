// Jobs view rows: every job (a client's request) and below it every build and transfer it asked for.
import type { ProcessInfo } from '../state/events.js';
import type { Derivation, Job, State, Transfer } from '../state/model.js';
import { countsOf, durationMs, isJobProcess, jobProgressText } from '../state/selectors.js';
import { storePathName } from '../state/text.js';
import { TRANSFER_MARK } from '../state/marks.js';
import { bytes, clock, duration, oneLine } from './format.js';
import { jobDuration, shownPhase } from './rows-eagle.js';
import type { Column, Row, Sort, Subject } from './rows.js';
import { MARK, TONE, cachedRows, joinBlocks, matches, sortBy, statusWord } from './rows.js';
import { jobDrvs, processIndex, shownJobsOf } from './rows-cache.js';

export const JOBS_COLUMNS: readonly Column[] = [
  { title: 'PID', width: 7, align: 'right' },
  { title: 'USER', width: 6, max: 12, drop: 4 },
  { title: 'STATUS', width: 11 },
  { title: 'PHASE', width: 13, max: 24, drop: 5 },
  { title: 'STARTED', width: 8, drop: 2 },
  { title: 'TIME', width: 6, align: 'right', drop: 3 },
  { title: 'WHAT', width: 16, flex: true },
];

export type JobsOptions = { readonly filter: string; readonly sort: Sort };

const JOB_KEYS: readonly ((j: Job, now: number | null) => string | number)[] = [
  (j) => j.info.pid ?? -1, (j) => j.info.user ?? '', (j) => j.status, (j) => j.progress.done, (j) => j.openedAt ?? 0,
  (j, now) => jobDuration(j, now) ?? -1, (j) => j.info.command,
];

export function jobRows(state: State, opts: JobsOptions): readonly Row[] {
  const now = state.now;
  const { byPid, builders } = processIndex(state.processes);
  const jobs = sortBy(shownJobsOf(state), (j) => (JOB_KEYS[opts.sort.column] ?? JOB_KEYS[4]!)(j, now), opts.sort.desc, JOB_KEYS);
  const transfersOf = new Map<string, Transfer[]>();
  for (const t of state.transfers.values()) {
    const list = transfersOf.get(t.source);
    if (list) list.push(t); else transfersOf.set(t.source, [t]);
  }
  const blocks: (readonly Row[])[] = [];
  for (const job of jobs) {
    const holder = job.info.pid !== null ? byPid.get(job.info.pid) : undefined;
    // The pid as the job knew it: a process that took the pid over since is not its client (nor signalled as it).
    const client = holder && isJobProcess(job, holder) ? holder : undefined;
    const drvs = jobDrvs(state, job);
    const transfers = transfersOf.get(job.source) ?? NONE;
    const running = drvs.some((d) => d.status === 'running' || d.status === 'waiting') || transfers.some((t) => t.status === 'running') || job.status === 'running';
    // Array deps compare element by element (cachedRows): nothing the size of a job is spread each frame.
    // Processes are new objects every scan: the client and the builders count by what the rows show of them.
    const deps = [processKey(client), opts.filter, opts.sort.column, opts.sort.desc, running ? now : null, drvs, transfers, buildersKey(drvs, builders)];
    blocks.push(cachedRows(cache, job, deps, () => jobBlock(job, client, sortBuilds(drvs, opts.sort, now), transfers, builders, now, opts.filter)));
  }
  return joinBlocks(joined, state.jobs, blocks);
}

const NONE: readonly Transfer[] = [];
const joined = new WeakMap<State['jobs'], { blocks: readonly (readonly Row[])[]; rows: readonly Row[] }>();

/** What a job's rows take from a process: its signal subject (pid, start) and the command's first word. */
const processKey = (p: ProcessInfo | undefined): string => (p ? `${p.pid}:${p.startedAt}:${p.command}` : '');

/** The builder processes of the job's derivations as its rows see them (most jobs have none: ''). */
function buildersKey(drvs: readonly Derivation[], builders: ReadonlyMap<string, ProcessInfo>): string {
  if (builders.size === 0) return '';
  let key = '';
  for (const d of drvs) { const b = builders.get(d.drvPath); if (b) key += `${d.drvPath}=${b.pid}:${b.startedAt} `; }
  return key;
}

/** The builds under a job in the order of the job rows' sort (plan order while sorting by start time, ascending). */
const BUILD_KEYS: readonly ((d: Derivation, now: number | null) => string | number)[] = [
  () => 0, () => 0, (d) => d.status, (d) => shownPhase(d), (d) => d.startedAt ?? Infinity, (d, now) => durationMs(d, now) ?? -1, (d) => d.name,
];

function sortBuilds(drvs: readonly Derivation[], sort: Sort, now: number | null): readonly Derivation[] {
  if (sort.column === 4 && !sort.desc) return drvs;
  const key = BUILD_KEYS[sort.column];
  return key ? sortBy([...drvs], (d) => key(d, now), sort.desc) : drvs;
}

const cache = new WeakMap<Job, { deps: readonly unknown[]; rows: readonly Row[] }>();

function jobBlock(
  job: Job, client: ProcessInfo | undefined, drvs: readonly Derivation[], transfers: readonly Transfer[],
  builders: ReadonlyMap<string, ProcessInfo>, now: number | null, filter: string,
): Row[] {
  const jobSubject: Subject | undefined = client
    ? { pid: client.pid, startedAt: client.startedAt, label: `job ${client.pid} (${oneLine(client.command).split(' ', 1)[0] ?? ''})` }
    : undefined;
  const children: Row[] = [];
  for (const d of drvs) children.push(buildRow(builders.get(d.drvPath), job, d, now, jobSubject));
  for (const t of transfers) children.push(transferRow(job, t, now, jobSubject));
  const head = jobRow(job, drvs, now, jobSubject);
  if (filter !== '' && !matches(filter, head.cells.join(' '))) {
    const hits = children.filter((r) => matches(filter, r.cells.join(' ')));
    return hits.length > 0 ? [head, ...hits] : [];
  }
  return [head, ...children];
}

function jobRow(job: Job, drvs: readonly Derivation[], now: number | null, subject: Subject | undefined): Row {
  // Against the planned total (issue 9): `7/10 ✔ 1 ✘ 2 ⊘`, never Nix's shrinking `expected`.
  const phase = jobProgressText(countsOf(drvs, job));
  return {
    key: `j:${job.source}`, tone: job.status === 'failed' || job.status === 'interrupted' ? 'failed' : job.status === 'running' ? 'group' : 'done',
    cells: [job.info.pid === null ? '-' : String(job.info.pid), job.info.user ?? (job.info.uid === null ? '-' : String(job.info.uid)), job.status, phase, clock(job.openedAt),
      duration(jobDuration(job, now)), oneLine(job.info.command)],
    targets: { process: subject, job: subject }, job: job.source,
  };
}

function buildRow(builder: ProcessInfo | undefined, job: Job, d: Derivation, now: number | null, jobSubject: Subject | undefined): Row {
  const build = builder ? { pid: builder.pid, startedAt: builder.startedAt, label: `${d.name} (process group ${builder.pid})` } : undefined;
  return {
    key: `j:${job.source}>${d.drvPath}`, tone: TONE[d.status], drvPath: d.drvPath, job: job.source, copy: d.drvPath,
    cells: ['', '', statusWord(d), shownPhase(d), clock(d.startedAt), duration(durationMs(d, now)), `  ${MARK[d.status]} ${d.name}${d.machine ? ` on ${d.machine}` : ''}`],
    targets: { process: build, build, job: jobSubject },
  };
}

function transferRow(job: Job, t: Transfer, now: number | null, jobSubject: Subject | undefined): Row {
  const end = t.stoppedAt ?? now;
  const size = t.expectedBytes > 0 ? `${bytes(t.doneBytes)}/${bytes(t.expectedBytes)}` : bytes(t.doneBytes);
  return {
    key: `j:${job.source}>t:${t.key}`, tone: t.status === 'running' ? 'running' : 'dim', job: job.source, copy: t.what,
    cells: ['', '', t.status === 'running' ? t.kind : t.status, size, clock(t.startedAt),
      duration(t.startedAt === null || end === null ? null : end - t.startedAt), `  ${TRANSFER_MARK[t.status === 'running' ? 'running' : 'done']} ${storePathName(t.what)}`],
    targets: { job: jobSubject },
  };
}
