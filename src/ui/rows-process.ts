// Process view rows: the Nix process forest (or every process) as a tree or a flat list, sorted and filtered.
import type { ProcessInfo } from '../state/events.js';
import type { State } from '../state/model.js';
import { storePathName } from '../state/text.js';
import { bytes, duration, oneLine } from './format.js';
import type { Column, Row, Sort, Subject, Tone } from './rows.js';
import { matches, sortBy } from './rows.js';

export const PROCESS_COLUMNS: readonly Column[] = [
  { title: 'PID', width: 7, align: 'right' },
  { title: 'USER', width: 8 },
  { title: 'CPU%', width: 5, align: 'right' },
  { title: 'MEM', width: 5, align: 'right' },
  { title: 'TIME', width: 6, align: 'right' },
  { title: 'S', width: 1 },
  { title: 'DRV', width: 14 },
  { title: 'COMMAND', width: 12, flex: true },
];

export type ProcessOptions = {
  readonly tree: boolean;
  /** Every process, not only the Nix forest. */
  readonly all: boolean;
  readonly filter: string;
  readonly sort: Sort;
};

const SORT_KEYS: readonly ((p: ProcessInfo, now: number) => string | number)[] = [
  (p) => p.pid, (p) => p.user, (p) => p.cpuPercent, (p) => p.rssBytes, (p, now) => now - p.startedAt, (p) => p.state,
  (p) => (p.drvPath ? storePathName(p.drvPath) : ''), (p) => p.command,
];

const ROLE_TONE: Readonly<Record<ProcessInfo['role'], Tone>> = {
  'nix-daemon': 'group', 'daemon-worker': 'normal', client: 'normal', builder: 'running', 'builder-child': 'running', other: 'dim',
};

export function processRows(state: State, opts: ProcessOptions): Row[] {
  const now = state.scannedAt ?? state.now ?? 0;
  const shown = state.processes.filter((p) => (opts.all || p.role !== 'other'));
  const filtered = opts.filter === '' ? shown : shown.filter((p) => matches(opts.filter, searchText(p)));
  const key = SORT_KEYS[opts.sort.column] ?? SORT_KEYS[0]!;
  const sorted = sortBy(filtered, (p) => key(p, now), opts.sort.desc);
  const ctx = contextOf(state);
  if (!opts.tree) return sorted.map((p) => processRow(p, '', now, ctx));
  return treeOrder(sorted).map(({ p, prefix }) => processRow(p, prefix, now, ctx));
}

const searchText = (p: ProcessInfo): string =>
  `${p.pid} ${p.user} ${p.role} ${p.command} ${p.drvPath ? storePathName(p.drvPath) : ''}`;

type Context = { readonly byPid: ReadonlyMap<number, ProcessInfo>; readonly clientOf: (drvPath: string) => number | null; readonly state: State };

function contextOf(state: State): Context {
  const byPid = new Map(state.processes.map((p) => [p.pid, p]));
  return {
    byPid, state,
    clientOf: (drvPath) => {
      for (const source of state.derivations.get(drvPath)?.jobs ?? []) {
        const pid = state.jobs.get(source)?.info.pid;
        if (pid != null) return pid;
      }
      return null;
    },
  };
}

/** Depth-first order of a forest: parents before children, siblings in sort order, with tree-drawing prefixes. */
export function treeOrder(sorted: readonly ProcessInfo[]): { p: ProcessInfo; prefix: string }[] {
  const present = new Set(sorted.map((p) => p.pid));
  const children = new Map<number, ProcessInfo[]>();
  const roots: ProcessInfo[] = [];
  for (const p of sorted) {
    if (present.has(p.ppid) && p.ppid !== p.pid) {
      const list = children.get(p.ppid) ?? [];
      list.push(p);
      children.set(p.ppid, list);
    } else roots.push(p);
  }
  const out: { p: ProcessInfo; prefix: string }[] = [];
  const visit = (p: ProcessInfo, lead: string, branch: string, depth: number): void => {
    out.push({ p, prefix: lead + branch });
    const kids = children.get(p.pid) ?? [];
    const next = depth === 0 ? '' : lead + (branch === '└─ ' ? '   ' : '│  ');
    kids.forEach((k, i) => visit(k, next, i === kids.length - 1 ? '└─ ' : '├─ ', depth + 1));
  };
  for (const r of roots) visit(r, '', '', 0);
  return out;
}

function subject(p: ProcessInfo | undefined): Subject | undefined {
  return p ? { pid: p.pid, startedAt: p.startedAt, label: `${p.pid} (${oneLine(p.command).split(' ', 1)[0] ?? ''})` } : undefined;
}

function processRow(p: ProcessInfo, prefix: string, now: number, ctx: Context): Row {
  const builder = p.role === 'builder' ? p : p.role === 'builder-child' && p.pgid > 0 ? ctx.byPid.get(p.pgid) : undefined;
  const clientPid = p.drvPath ? ctx.clientOf(p.drvPath) : p.role === 'client' ? p.pid : null;
  const drvName = p.drvPath ? storePathName(p.drvPath) : '';
  return {
    key: `p:${p.pid}`,
    cells: [
      String(p.pid), p.user, p.cpuPercent.toFixed(1), bytes(p.rssBytes), duration(Math.max(0, now - p.startedAt)), p.state,
      drvName, prefix + oneLine(p.command),
    ],
    tone: ROLE_TONE[p.role],
    targets: {
      process: subject(p),
      build: builder ? { ...subject(builder)!, label: `${drvName || 'build'} (process group ${builder.pid})` } : undefined,
      job: clientPid !== null ? subject(ctx.byPid.get(clientPid)) : undefined,
    },
    drvPath: p.drvPath ?? undefined,
  };
}
