// What the windowed table draws: rows of pre-formatted cells, built by the pure rows-*.ts selectors from the state.
import type { Derivation } from '../state/model.js';

export type Tone = 'normal' | 'dim' | 'running' | 'done' | 'failed' | 'waiting' | 'group';

export type Column = {
  readonly title: string;
  /** Least width; a fixed column grows to its content up to `max`, a flex column shares what is left. */
  readonly width: number;
  readonly max?: number;
  readonly align?: 'left' | 'right';
  readonly flex?: boolean;
  /** A flex column's share of the room left (default 1). */
  readonly grow?: number;
  /** Dropped when the terminal is too narrow, lowest first; never dropped without it. */
  readonly drop?: number;
  /** Title shown when the column is too narrow for `title`. */
  readonly short?: string;
};

/** A process a signal can reach; the start time guards against pid reuse. */
export type Subject = { readonly pid: number; readonly startedAt: number; readonly label: string; readonly host?: string };

export type Row = {
  readonly key: string;
  readonly cells: readonly string[];
  readonly tone: Tone;
  /** What a signal sent from this row would reach, per target kind. */
  readonly targets?: { readonly process?: Subject; readonly build?: Subject; readonly job?: Subject };
  /** The store path `y` copies. */
  readonly copy?: string;
  /** Whether the row has children shown (open) or hidden (closed). */
  readonly fold?: 'open' | 'closed';
  readonly drvPath?: string;
  readonly job?: string;
  /** The watched host the row belongs to (several machines, src/ui/fleet-rows.ts). */
  readonly host?: string;
};

/** nom-style status marks: the one table (src/state/marks.ts). */
export { MARK } from '../state/marks.js';

export const TONE: Readonly<Record<Derivation['status'], Tone>> = {
  planned: 'dim', waiting: 'waiting', running: 'running', built: 'done', substituted: 'done', valid: 'dim', failed: 'failed',
  cancelled: 'dim', interrupted: 'failed',
};

/** A running build whose builder is stopped (SIGSTOP) says so; its clock stands still (durationMs). */
export const statusWord = (d: Derivation): string => (d.status === 'running' && d.frozenAt !== null ? 'frozen' : d.status);

/** A row whose cells are formatted when first drawn: of thousands of rows, only the visible window ever is. */
export function lazyCells(row: Omit<Row, 'cells'>, cells: () => readonly string[]): Row {
  return new LazyRow(row, cells);
}

/** A class, not a getter defined on each object: defineProperty turned every row into a slow dictionary object. */
class LazyRow implements Row {
  readonly key: string;
  readonly tone: Tone;
  readonly targets: Row['targets'];
  readonly copy: string | undefined;
  readonly fold: Row['fold'];
  readonly drvPath: string | undefined;
  readonly job: string | undefined;
  readonly host: string | undefined;
  #cells: readonly string[] | null = null;

  constructor(row: Omit<Row, 'cells'>, private readonly make: () => readonly string[]) {
    this.key = row.key;
    this.tone = row.tone;
    this.targets = row.targets;
    this.copy = row.copy;
    this.fold = row.fold;
    this.drvPath = row.drvPath;
    this.job = row.job;
    this.host = row.host;
  }

  get cells(): readonly string[] {
    return (this.#cells ??= this.make());
  }
}

/** Case-insensitive match of every word of the filter. */
export function matches(filter: string, text: string): boolean {
  if (filter === '') return true;
  const hay = text.toLowerCase();
  return filter.toLowerCase().split(/\s+/).every((w) => hay.includes(w));
}

export type Sort = { readonly column: number; readonly desc: boolean };

/** Compares two values of a sort key: numbers numerically, strings naturally (nixbld2 before nixbld10). */
const collator = new Intl.Collator('en', { numeric: true });

export function compareKeys(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === b) return 0;
  return collator.compare(String(a), String(b));
}

const orders = new WeakMap<object, number[]>();

/**
 * Stable sort by `key`. With `site` (one per list, e.g. its key table) the last order is tried first: a frame after a
 * scan mostly has the same order again, and checking it takes n - 1 comparisons instead of n log n (collator compares
 * of strings are the slow part). Ties keep the input order, so the result is the plain stable sort's either way.
 */
export function sortBy<T>(items: readonly T[], key: (item: T) => string | number, desc: boolean, site?: object): T[] {
  const keys = items.map(key);
  const sign = desc ? -1 : 1;
  const cmp = (i: number, j: number): number => sign * compareKeys(keys[i]!, keys[j]!) || i - j;
  const last = site ? orders.get(site) : undefined;
  if (last && last.length === items.length && stillSorted(last, cmp)) return last.map((i) => items[i]!);
  const order = keys.map((_k, i) => i).sort(cmp);
  if (site) orders.set(site, order);
  return order.map((i) => items[i]!);
}

/** Whether `order` (indices 0..n-1) is in strictly increasing `cmp` order: then it is the sort's result. */
function stillSorted(order: readonly number[], cmp: (i: number, j: number) => number): boolean {
  for (let k = 1; k < order.length; k++) if (cmp(order[k - 1]!, order[k]!) >= 0) return false;
  return true;
}

type Block = { readonly deps: readonly unknown[]; readonly rows: readonly Row[] };

/** Deps compare by identity; an array dep compares element by element (a job's derivations, its transfers). */
const same = (a: unknown, b: unknown): boolean => a === b ||
  (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]));

/**
 * Rows of one owner (a job) rebuilt only when one of `deps` changed identity: the reducer replaces the entities it
 * changes, so unchanged jobs keep their rows, their strings and their memoized table lines from frame to frame.
 */
export function cachedRows<K extends object>(cache: WeakMap<K, Block>, owner: K, deps: readonly unknown[], build: () => readonly Row[]): readonly Row[] {
  const hit = cache.get(owner);
  if (hit && hit.deps.length === deps.length && hit.deps.every((d, i) => same(d, deps[i]))) return hit.rows;
  const rows = build();
  cache.set(owner, { deps, rows });
  return rows;
}

type Joined = { readonly blocks: readonly (readonly Row[])[]; readonly rows: readonly Row[] };

/**
 * The blocks one after another, as the same array as last time when every block is the same as last time: the
 * frame's later steps (the keys, the selection's index) then see an unchanged list. `cache` holds one list per
 * state lineage (`owner`), so several hosts' lists do not evict each other.
 */
export function joinBlocks<K extends object>(cache: WeakMap<K, Joined>, owner: K, blocks: readonly (readonly Row[])[]): readonly Row[] {
  const last = cache.get(owner);
  if (last && last.blocks.length === blocks.length && last.blocks.every((b, i) => b === blocks[i])) return last.rows;
  const rows: Row[] = [];
  for (const b of blocks) for (const r of b) rows.push(r);
  cache.set(owner, { blocks, rows });
  return rows;
}
