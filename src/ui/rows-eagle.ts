// Eagle Eye rows: every job's targets as a tree of derivations (from .drv inputs when known, else the job's plan
// under its target), with nom-style marks; modes: whole tree, only active paths, flat list of active builds.
import type { Derivation, Job, State, Transfer } from '../state/model.js';
import { durationMs, jobCounts, jobProgressText } from '../state/selectors.js';
import { storePathName } from '../state/text.js';
import { TRANSFER_MARK } from '../state/marks.js';
import { bytes, clock, duration, oneLine } from './format.js';
import { lastLogLine } from '../state/log-tail.js';
import type { Column, Row } from './rows.js';
import { MARK, TONE, cachedRows, joinBlocks, matches, statusWord } from './rows.js';
import { jobDrvs, shownJobsOf } from './rows-cache.js';

export const EAGLE_COLUMNS: readonly Column[] = [
  { title: 'TARGET', width: 20, flex: true, grow: 3 },
  { title: 'STATUS', width: 11 },
  { title: 'PHASE', width: 12, max: 18, drop: 3 },
  { title: 'ELAPSED', width: 7, align: 'right', drop: 4 },
  { title: 'STARTED', width: 8, drop: 1 },
  // Wide terminals: what each build says last, so the width shows something worth reading.
  { title: 'LAST LOG LINE', short: 'LOG', width: 10, flex: true, grow: 2, drop: 2 },
];

export type EagleMode = 'tree' | 'active' | 'flat';

export type EagleOptions = {
  readonly mode: EagleMode;
  readonly filter: string;
  /** Keys of collapsed nodes. */
  readonly collapsed: ReadonlySet<string>;
};

const isActive = (d: Derivation): boolean => d.status === 'running' || d.status === 'waiting';

type Node = { readonly drv: Derivation; readonly children: readonly Node[]; readonly note?: string };

/** The job's derivations as a forest: real edges where inputDrvs are known, else the plan flat under its target. */
export function jobForest(state: State, job: Job): Node[] {
  const drvs = jobDrvs(state, job);
  if (drvs.length === 0) return [];
  if (drvs.some((d) => d.inputDrvs !== null)) return realForest(state, drvs);
  // No plan (a legacy nix-build's worker names builds only as it starts them): the target is not known, and none is
  // made up (the last build started is not the others' parent): the builds, flat.
  if (job.plan.length === 0) return drvs.map((drv) => ({ drv, children: [] }));
  const target = state.derivations.get(job.plan[job.plan.length - 1] ?? '') ?? drvs[drvs.length - 1]!;
  const rest = drvs.filter((d) => d !== target).map((drv) => ({ drv, children: [] }));
  return [{ drv: target, children: rest, note: 'dependencies unknown' }];
}

function realForest(state: State, drvs: readonly Derivation[]): Node[] {
  const inJob = new Set(drvs.map((d) => d.drvPath));
  const isInput = new Set<string>();
  for (const d of drvs) for (const i of d.inputDrvs ?? []) if (inJob.has(i)) isInput.add(i);
  const build = (drv: Derivation, path: ReadonlySet<string>): Node => ({
    drv,
    children: (drv.inputDrvs ?? [])
      .filter((i) => !path.has(i))
      .map((i) => state.derivations.get(i))
      .filter((d): d is Derivation => d !== undefined)
      .map((d) => build(d, new Set([...path, d.drvPath]))),
  });
  return drvs.filter((d) => !isInput.has(d.drvPath)).map((d) => build(d, new Set([d.drvPath])));
}

const hasActive = (n: Node): boolean => isActive(n.drv) || n.children.some(hasActive);

function drvRow(n: Node, key: string, depth: number, now: number | null, fold: Row['fold'], job: string | undefined): Row {
  const d = n.drv;
  const mark = fold === 'closed' ? '▸' : fold === 'open' ? '▾' : ' ';
  const note = n.note ? `  (${n.note})` : '';
  return {
    key, tone: TONE[d.status], fold, drvPath: d.drvPath, job, copy: firstOutput(d) ?? d.drvPath,
    cells: [`${'  '.repeat(depth)}${mark} ${MARK[d.status]} ${d.name}${note}`, statusWord(d), shownPhase(d), duration(durationMs(d, now)),
      clock(d.startedAt), oneLine(lastLogLine(d.log) ?? '')],
  };
}

/** The phase a build is in; a build that has ended is in none (its last phase is history, in the detail pane). */
export const shownPhase = (d: Derivation): string => (d.status === 'running' ? d.phase ?? '' : '');

const firstOutput = (d: Derivation): string | undefined => (d.outputs ? Object.values(d.outputs)[0] : undefined);

function transferRow(t: Transfer, depth: number, now: number | null): Row {
  const size = t.expectedBytes > 0 ? `${bytes(t.doneBytes)}/${bytes(t.expectedBytes)}` : bytes(t.doneBytes);
  const mark = TRANSFER_MARK[t.status];
  const end = t.stoppedAt ?? now;
  return {
    key: `t:${t.key}`, tone: t.status === 'running' ? 'running' : 'dim', copy: t.what,
    cells: [`${'  '.repeat(depth)}  ${mark} ${storePathName(t.what)} ${size}`, t.kind, '', duration(t.startedAt === null || end === null ? null : end - t.startedAt),
      clock(t.startedAt), ''],
  };
}

export function eagleRows(state: State, opts: EagleOptions): readonly Row[] {
  const now = state.now;
  if (opts.mode === 'flat') {
    return [...state.derivations.values()].filter((d) => isActive(d) && matches(opts.filter, d.name))
      .map((d) => drvRow({ drv: d, children: [] }, `f:${d.drvPath}`, 0, now, undefined, d.jobs[0]));
  }
  const blocks: (readonly Row[])[] = [];
  const transfersOf = new Map<string, Transfer[]>();
  for (const t of state.transfers.values()) {
    const list = transfersOf.get(t.source);
    if (list) list.push(t); else transfersOf.set(t.source, [t]);
  }
  for (const job of shownJobsOf(state)) {
    const drvs = jobDrvs(state, job);
    const transfers = transfersOf.get(job.source) ?? NONE;
    const active = drvs.some(isActive) || transfers.some((t) => t.status === 'running') || job.status === 'running';
    // drvs and transfers compare element by element (cachedRows), without spreading thousands of them each frame.
    blocks.push(cachedRows(cache, job, [opts.mode, opts.collapsed, active ? now : null, drvs, transfers], () => jobBlock(state, job, transfers, opts, now)));
  }
  const rows = joinBlocks(joined, state.jobs, blocks);
  return opts.filter === '' ? rows : filtered(rows, opts.filter);
}

const NONE: readonly Transfer[] = [];
const joined = new WeakMap<State['jobs'], { blocks: readonly (readonly Row[])[]; rows: readonly Row[] }>();

/** Rows matching the filter with the path down to them: a job that matches keeps its whole block, others only their hits. */
function filtered(rows: readonly Row[], filter: string): Row[] {
  const keep = new Set<Row>();
  let head: Row | null = null;
  let headHit = false;
  const parents = new Map<string, Row>();
  for (const r of rows) {
    if (r.fold !== undefined && r.drvPath === undefined) {
      head = r;
      headHit = matches(filter, r.cells[0] ?? '');
      parents.clear();
      if (headHit) keep.add(r);
      continue;
    }
    parents.set(r.key, r);
    if (!headHit && !matches(filter, r.cells[0] ?? '')) continue;
    keep.add(r);
    if (head) keep.add(head);
    for (let k = r.key.lastIndexOf('>'); k > 0; k = r.key.lastIndexOf('>', k - 1)) {
      const up = parents.get(r.key.slice(0, k));
      if (up) keep.add(up);
    }
  }
  return rows.filter((r) => keep.has(r));
}

const cache = new WeakMap<Job, { deps: readonly unknown[]; rows: readonly Row[] }>();

function jobBlock(state: State, job: Job, all: readonly Transfer[], opts: EagleOptions, now: number | null): Row[] {
  const rows: Row[] = [];
  let forest = jobForest(state, job);
  const transfers = all.filter((t) => opts.mode === 'tree' || t.status === 'running');
  if (opts.mode === 'active') forest = forest.filter(hasActive);
  if (forest.length === 0 && transfers.length === 0 && opts.mode === 'active') return rows;
  const jobKey = `j:${job.source}`;
  const closed = opts.collapsed.has(jobKey);
  rows.push({
    key: jobKey, tone: 'group', fold: closed ? 'closed' : 'open', job: job.source,
    cells: [`${closed ? '▸' : '▾'} ${jobLabel(job)}`, job.status, jobProgressText(jobCounts(state, job)), duration(jobDuration(job, now)),
      clock(job.openedAt), ''],
  });
  if (closed) return rows;
  for (const t of transfers) rows.push(transferRow(t, 1, now));
  for (const n of forest) walk(n, jobKey, 1, rows, opts, now, job);
  return rows;
}

function walk(n: Node, parentKey: string, depth: number, rows: Row[], opts: EagleOptions, now: number | null, job: Job): void {
  const key = `${parentKey}>${n.drv.drvPath}`;
  const kids = opts.mode === 'active' ? n.children.filter(hasActive) : n.children;
  const closed = opts.collapsed.has(key);
  rows.push(drvRow(n, key, depth, now, kids.length === 0 ? undefined : closed ? 'closed' : 'open', job.source));
  if (!closed) for (const k of kids) walk(k, key, depth + 1, rows, opts, now, job);
}

export const jobLabel = (job: Job): string =>
  `${job.info.pid ?? '?'} ${job.info.user ?? ''} ${oneLine(job.info.command)}`.replace(/\s+/g, ' ');

export function jobDuration(job: Job, now: number | null): number | null {
  if (job.openedAt === null) return null;
  const end = job.closedAt ?? now;
  return end === null ? null : Math.max(0, end - job.openedAt);
}
