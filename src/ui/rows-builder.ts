// Builder view rows: one per active builder (a build user's builder process, or a running build with no process seen),
// with its processes' summed CPU and memory; expanded builders list their processes below them.
import type { ProcessInfo } from '../state/events.js';
import type { Derivation, State } from '../state/model.js';
import { storePathName } from '../state/text.js';
import { lastLogLine } from '../state/log-tail.js';
import { bytes, duration, oneLine } from './format.js';
import type { Column, Row, Sort } from './rows.js';
import { lazyCells, matches, sortBy } from './rows.js';

export const BUILDER_COLUMNS: readonly Column[] = [
  { title: 'SLOT', width: 8 },
  { title: 'DERIVATION', width: 16 },
  { title: 'PHASE', width: 12 },
  { title: 'ELAPSED', width: 7, align: 'right' },
  { title: 'PROCS', width: 5, align: 'right' },
  { title: 'CPU%', width: 5, align: 'right' },
  { title: 'MEM', width: 5, align: 'right' },
  { title: 'LAST LOG LINE', short: 'LOG LINE', width: 10, flex: true },
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
    const processes = descendants(root, children);
    const drv = root.drvPath ? state.derivations.get(root.drvPath) ?? null : null;
    if (root.drvPath) seenDrvs.add(root.drvPath);
    const since = drv?.startedAt ?? root.startedAt;
    // A frozen build's clock stands still (its derivation's frozenAt; the builder's own state T otherwise).
    const end = drv?.frozenAt ?? now;
    out.push({
      key: `b:${root.pid}`, slot: root.user, root, drv, processes,
      cpuPercent: processes.reduce((s, p) => s + p.cpuPercent, 0), rssBytes: processes.reduce((s, p) => s + p.rssBytes, 0),
      elapsedMs: Math.max(0, end - since),
    });
  }
  for (const drv of state.derivations.values()) {
    if (drv.status !== 'running' || seenDrvs.has(drv.drvPath)) continue;
    out.push({
      key: `d:${drv.drvPath}`, slot: drv.machine ? drv.machine : '-', root: null, drv, processes: [], cpuPercent: 0, rssBytes: 0,
      elapsedMs: drv.startedAt === null ? null : Math.max(0, (drv.frozenAt ?? now) - drv.startedAt),
    });
  }
  return out;
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
  (b) => b.slot, (b) => b.drv?.name ?? '', (b) => b.drv?.phase ?? '', (b) => b.elapsedMs ?? -1, (b) => b.processes.length,
  (b) => b.cpuPercent, (b) => b.rssBytes, (b) => lastLine(b.drv),
];

const isFrozen = (b: Builder): boolean => b.drv?.frozenAt != null || b.root?.state === 'T' || b.root?.state === 't';

const lastLine = (drv: Derivation | null): string => oneLine((drv && lastLogLine(drv.log)) ?? '');

export function builderRows(state: State, opts: BuilderOptions): Row[] {
  const builders = buildersOf(state);
  const all = opts.filter === '' ? builders : builders.filter((b) =>
    matches(opts.filter, `${b.slot} ${b.drv?.name ?? ''} ${b.drv?.phase ?? ''} ${b.processes.map((p) => p.command).join(' ')}`));
  const sorted = sortBy(all, SORT_KEYS[opts.sort.column] ?? SORT_KEYS[0]!, opts.sort.desc);
  const rows: Row[] = [];
  for (const b of sorted) {
    const open = opts.expanded.has(b.key);
    const name = b.drv?.name ?? (b.root?.drvPath ? storePathName(b.root.drvPath) : '(not tied)');
    const build = b.root ? { pid: b.root.pid, startedAt: b.root.startedAt, label: `${name} (process group ${b.root.pid})` } : undefined;
    rows.push(lazyCells({
      key: b.key, tone: 'running', fold: b.processes.length > 1 ? (open ? 'open' : 'closed') : undefined,
      targets: { process: build, build }, drvPath: b.drv?.drvPath, copy: b.drv?.drvPath,
    }, () => [b.slot, name, isFrozen(b) ? 'frozen' : b.drv?.phase ?? '-', duration(b.elapsedMs), String(b.processes.length), b.cpuPercent.toFixed(1),
      bytes(b.rssBytes), lastLine(b.drv)]));
    if (!open) continue;
    for (const p of b.processes) {
      rows.push({
        key: `${b.key}:${p.pid}`, tone: 'dim',
        cells: ['', `  ${p.pid}`, p.state, '', '', p.cpuPercent.toFixed(1), bytes(p.rssBytes), oneLine(p.command)],
        targets: { process: { pid: p.pid, startedAt: p.startedAt, label: `${p.pid} (${p.command.split(' ', 1)[0] ?? ''})` }, build },
      });
    }
  }
  return rows;
}
