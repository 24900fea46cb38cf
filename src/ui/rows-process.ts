// Process view rows: the Nix process forest (or every process) as a tree or a flat list, sorted and filtered.
import type { ProcessInfo } from '../state/events.js';
import type { State } from '../state/model.js';
import { storePathName } from '../state/text.js';
import { bytes, cpuTime, duration, oneLine } from './format.js';
import type { Column, Row, Sort, Subject, Tone } from './rows.js';
import { matches, sortBy } from './rows.js';

export const PROCESS_COLUMNS: readonly Column[] = [
  { title: 'PID', width: 7, align: 'right' },
  { title: 'USER', width: 8, max: 12, drop: 5 },
  { title: 'CPU%', width: 5, align: 'right' },
  { title: 'MEM', width: 5, align: 'right', drop: 6 },
  // htop's TIME+: CPU time used (user + system); ELAPSED is time since the process started.
  { title: 'TIME+', width: 8, max: 10, align: 'right', drop: 4 },
  { title: 'ELAPSED', width: 7, align: 'right', drop: 2 },
  { title: 'S', width: 1, drop: 3 },
  { title: 'DRV', width: 14, max: 48, drop: 1 },
  { title: 'COMMAND', width: 16, flex: true },
];

export type ProcessOptions = {
  readonly tree: boolean;
  /** Every process, not only the Nix forest. */
  readonly all: boolean;
  readonly filter: string;
  readonly sort: Sort;
};

const SORT_KEYS: readonly ((p: ProcessInfo, now: number) => string | number)[] = [
  (p) => p.pid, (p) => p.user, (p) => p.cpuPercent, (p) => p.rssBytes, (p) => p.cpuTimeMs ?? -1, (p, now) => now - p.startedAt, (p) => p.state,
  (p) => (p.drvPath ? storePathName(p.drvPath) : ''), (p) => p.command,
];

const ROLE_TONE: Readonly<Record<ProcessInfo['role'], Tone>> = {
  'nix-daemon': 'group', 'daemon-worker': 'normal', client: 'normal', builder: 'running', 'builder-child': 'running', other: 'dim',
};

type Built = { readonly processes: readonly ProcessInfo[]; readonly now: number; readonly opts: ProcessOptions; readonly rows: Row[] };

/**
 * The last rows built, per state lineage (its derivations map, which the reducer updates in place): a frame caused by
 * anything but a new scan (log lines, keys) reuses them.
 */
const built = new WeakMap<State['derivations'], Built>();

export function processRows(state: State, opts: ProcessOptions): Row[] {
  const now = state.scannedAt ?? state.now ?? 0;
  const last = built.get(state.derivations);
  const o = last?.opts;
  if (last && o && last.processes === state.processes && last.now === now && o.tree === opts.tree && o.all === opts.all &&
      o.filter === opts.filter && o.sort.column === opts.sort.column && o.sort.desc === opts.sort.desc) return last.rows;
  const shown = state.processes.filter((p) => (opts.all || p.role !== 'other'));
  const filtered = opts.filter === '' ? shown : shown.filter((p) => matches(opts.filter, searchText(p)));
  const key = SORT_KEYS[opts.sort.column] ?? SORT_KEYS[0]!;
  const sorted = sortBy(filtered, (p) => key(p, now), opts.sort.desc, SORT_KEYS);
  const ctx = contextOf(state);
  const rows = opts.tree ? treeOrder(sorted).map(({ p, prefix }) => new ProcessRow(p, prefix, now, ctx)) : sorted.map((p) => new ProcessRow(p, '', now, ctx));
  built.set(state.derivations, { processes: state.processes, now, opts, rows });
  return rows;
}

const searchText = (p: ProcessInfo): string =>
  `${p.pid} ${p.user} ${p.role} ${p.command} ${p.drvPath ? storePathName(p.drvPath) : ''}`;

type Context = { readonly byPid: () => ReadonlyMap<number, ProcessInfo>; readonly clientOf: (drvPath: string) => number | null };

/** Reads the derivations and jobs maps when asked: the reducer keeps them current in place, so cached rows stay right. */
function contextOf(state: State): Context {
  const { processes, derivations, jobs } = state;
  let byPid: Map<number, ProcessInfo> | null = null;
  return {
    byPid: () => (byPid ??= new Map(processes.map((p) => [p.pid, p]))),
    clientOf: (drvPath) => {
      for (const source of derivations.get(drvPath)?.jobs ?? []) {
        const pid = jobs.get(source)?.info.pid;
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

/** Cells and signal targets are worked out when first drawn or acted on: only the visible window ever is. */
class ProcessRow implements Row {
  readonly key: string;
  readonly tone: Tone;
  readonly drvPath: string | undefined;
  #cells: readonly string[] | null = null;

  constructor(private readonly p: ProcessInfo, private readonly prefix: string, private readonly now: number, private readonly ctx: Context) {
    this.key = `p:${p.pid}`;
    this.tone = ROLE_TONE[p.role];
    this.drvPath = p.drvPath ?? undefined;
  }

  get cells(): readonly string[] {
    const { p, now } = this;
    return (this.#cells ??= [
      String(p.pid), p.user, p.cpuPercent.toFixed(1), bytes(p.rssBytes), cpuTime(p.cpuTimeMs), duration(Math.max(0, now - p.startedAt)), p.state,
      p.drvPath ? storePathName(p.drvPath) : '', this.prefix + oneLine(p.command),
    ]);
  }

  get targets(): Row['targets'] {
    const { p, ctx } = this;
    const builder = p.role === 'builder' ? p : p.role === 'builder-child' && p.pgid > 0 ? ctx.byPid().get(p.pgid) : undefined;
    const clientPid = p.drvPath ? ctx.clientOf(p.drvPath) : p.role === 'client' ? p.pid : null;
    const drvName = p.drvPath ? storePathName(p.drvPath) : '';
    return {
      process: subject(p),
      build: builder ? { ...subject(builder)!, label: `${drvName || 'build'} (process group ${builder.pid})` } : undefined,
      job: clientPid !== null ? subject(ctx.byPid().get(clientPid)) : undefined,
    };
  }
}
