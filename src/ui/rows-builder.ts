// Builder view rows: one per active builder (a build user's builder process, or a running build with no process seen),
// with its processes' summed CPU and memory; expanded builders list their processes below them.
import type { ProcessInfo, SourceInfo } from '../state/events.js';
import type { Derivation, State } from '../state/model.js';
import { storePathName } from '../state/text.js';
import { lastLogLine } from '../state/log-tail.js';
import { bytes, duration, oneLine } from './format.js';
import type { Column, Row, Sort } from './rows.js';
import { lazyCells, matches, sortBy } from './rows.js';
import { durationMs } from '../state/selectors.js';

export const BUILDER_COLUMNS: readonly Column[] = [
  { title: 'SLOT', width: 8, max: 10 },
  // Who asked for the build and which job (the client's pid): two users' identical builds are told apart.
  { title: 'USER', width: 8, max: 12, drop: 3 },
  { title: 'JOB', width: 7, align: 'right', drop: 2 },
  { title: 'DERIVATION', width: 14, max: 48 },
  { title: 'PHASE', width: 12, max: 18 },
  { title: 'ELAPSED', width: 7, align: 'right', drop: 6 },
  { title: 'PROCS', width: 5, align: 'right', drop: 1 },
  { title: 'CPU%', width: 5, align: 'right', drop: 7 },
  { title: 'MEM', width: 5, align: 'right', drop: 4 },
  { title: 'LAST LOG LINE', short: 'LOG LINE', width: 10, flex: true, drop: 5 },
];

export type BuilderOptions = {
  readonly filter: string;
  readonly sort: Sort;
  /** Row keys of expanded builders. */
  readonly expanded: ReadonlySet<string>;
};

/** One builder: its root process (if seen), its derivation, its whole process tree. */
export type Builder = {
  readonly key: string;
  readonly slot: string;
  /** The user whose client asked for the build, and that client's pid (the job). */
  readonly user: string;
  readonly jobPid: number | null;
  readonly root: ProcessInfo | null;
  readonly drv: Derivation | null;
  readonly processes: readonly ProcessInfo[];
  readonly cpuPercent: number;
  readonly rssBytes: number;
  readonly elapsedMs: number | null;
};

export function buildersOf(state: State): Builder[] {
  const now = state.now ?? state.scannedAt ?? 0;
  const children = new Map<number, ProcessInfo[]>();
  for (const p of state.processes) {
    const list = children.get(p.ppid);
    if (list) list.push(p); else children.set(p.ppid, [p]);
  }
  const out: Builder[] = [];
  const seenDrvs = new Set<string>();
  for (const root of state.processes) {
    if (root.role !== 'builder') continue;
    const drv = root.drvPath ? state.derivations.get(root.drvPath) ?? null : null;
    // A build Nix says has ended leaves its slot now, even while the last scan still saw its process.
    if (drv && drv.status !== 'running') continue;
    const processes = descendants(root, children);
    if (root.drvPath) seenDrvs.add(root.drvPath);
    const since = (drv?.startedAt ?? root.startedAt) + (drv?.frozenMs ?? 0);
    // A frozen build's clock stands still (its derivation's frozenAt; the builder's own state T otherwise).
    const end = drv?.frozenAt ?? now;
    out.push({
      // Keyed by derivation: the row (and the cursor on it) stays the same row while its process goes.
      key: root.drvPath ? `b:${root.drvPath}` : `b:${root.pid}`, slot: root.user, ...askedBy(clientOf(state, drv)), root, drv, processes,
      cpuPercent: processes.reduce((s, p) => s + p.cpuPercent, 0), rssBytes: processes.reduce((s, p) => s + p.rssBytes, 0),
      elapsedMs: Math.max(0, end - since),
    });
  }
  for (const drv of state.derivations.values()) {
    if (drv.status !== 'running' || seenDrvs.has(drv.drvPath)) continue;
    out.push(unseenBuilder(state, drv, now));
  }
  return out;
}

const unseen = new WeakMap<Derivation, { readonly now: number; readonly info: SourceInfo | null; readonly b: Builder }>();

/**
 * Running, but no builder process seen (yet, or on another machine): a row without a slot. Thousands of these are
 * the same from frame to frame (same derivation, clock and client): the same object is kept, and with it its row.
 */
function unseenBuilder(state: State, drv: Derivation, now: number): Builder {
  const info = clientOf(state, drv);
  const last = unseen.get(drv);
  if (last && last.now === now && last.info === info) return last.b;
  const b: Builder = {
    key: `b:${drv.drvPath}`, slot: drv.machine ? drv.machine : '-', ...askedBy(info), root: null, drv, processes: [], cpuPercent: 0, rssBytes: 0,
    elapsedMs: durationMs(drv, now),
  };
  unseen.set(drv, { now, info, b });
  return b;
}

/** The client that asked for the build: the first of its jobs that is known. */
function clientOf(state: State, drv: Derivation | null): SourceInfo | null {
  for (const source of drv?.jobs ?? []) {
    const info = state.jobs.get(source)?.info;
    if (info) return info;
  }
  return null;
}

function askedBy(info: SourceInfo | null): { user: string; jobPid: number | null } {
  return info ? { user: info.user ?? (info.uid !== null ? String(info.uid) : '?'), jobPid: info.pid } : { user: '?', jobPid: null };
}

function descendants(root: ProcessInfo, children: ReadonlyMap<number, readonly ProcessInfo[]>): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  const stack = [root];
  while (stack.length > 0 && out.length < 10_000) {
    const p = stack.pop()!;
    out.push(p);
    for (const c of children.get(p.pid) ?? []) stack.push(c);
  }
  return out;
}

const SORT_KEYS: readonly ((b: Builder) => string | number)[] = [
  // Rows without a slot ('-') after the slots, in slot order (nixbld2 before nixbld10).
  (b) => `${b.root ? 0 : 1} ${b.slot}`, (b) => b.user, (b) => b.jobPid ?? -1, (b) => b.drv?.name ?? '', (b) => b.drv?.phase ?? '', (b) => b.elapsedMs ?? -1, (b) => b.processes.length,
  (b) => b.cpuPercent, (b) => b.rssBytes, (b) => lastLine(b.drv),
];

const isFrozen = (b: Builder): boolean => b.drv?.frozenAt != null || b.root?.state === 'T' || b.root?.state === 't';

const lastLine = (drv: Derivation | null): string => oneLine((drv && lastLogLine(drv.log)) ?? '');

/** A builder's row while the builder is the same object (unseenBuilder keeps it) and closed. */
const rowOf = new WeakMap<Builder, { readonly row: Row }>();

export function builderRows(state: State, opts: BuilderOptions): Row[] {
  const builders = buildersOf(state);
  const all = opts.filter === '' ? builders : builders.filter((b) =>
    matches(opts.filter, `${b.slot} ${b.user} ${b.jobPid ?? ''} ${b.drv?.name ?? ''} ${b.drv?.phase ?? ''} ${b.processes.map((p) => p.command).join(' ')}`));
  const sorted = sortBy(all, SORT_KEYS[opts.sort.column] ?? SORT_KEYS[0]!, opts.sort.desc, SORT_KEYS);
  const rows: Row[] = [];
  for (const b of sorted) {
    const open = opts.expanded.has(b.key);
    const kept = open ? undefined : rowOf.get(b);
    if (kept) { rows.push(kept.row); continue; }
    const name = b.drv?.name ?? (b.root?.drvPath ? storePathName(b.root.drvPath) : '(not tied)');
    const build = b.root ? { pid: b.root.pid, startedAt: b.root.startedAt, label: `${name} (process group ${b.root.pid})` } : undefined;
    const row = lazyCells({
      key: b.key, tone: 'running', fold: b.processes.length > 1 ? (open ? 'open' : 'closed') : undefined,
      targets: { process: build, build }, drvPath: b.drv?.drvPath, copy: b.drv?.drvPath,
    }, () => [b.slot, b.user, b.jobPid === null ? '-' : String(b.jobPid), name, isFrozen(b) ? 'frozen' : b.drv?.phase ?? '-', duration(b.elapsedMs),
      String(b.processes.length), b.cpuPercent.toFixed(1), bytes(b.rssBytes), lastLine(b.drv)]);
    if (!open) rowOf.set(b, { row });
    rows.push(row);
    if (!open) continue;
    for (const p of b.processes) {
      rows.push({
        key: `${b.key}:${p.pid}`, tone: 'dim',
        cells: ['', p.user, '', `  ${p.pid}`, p.state, '', '', p.cpuPercent.toFixed(1), bytes(p.rssBytes), oneLine(p.command)],
        targets: { process: { pid: p.pid, startedAt: p.startedAt, label: `${p.pid} (${p.command.split(' ', 1)[0] ?? ''})` }, build },
      });
    }
  }
  return rows;
}
