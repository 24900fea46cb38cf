// The live build tree (issue 15): the derivations of one build (a job, or a job and its daemon worker) as a
// dependency tree, folded to a number of rows the way nom does: running and failed builds first, then what finished
// lately, each with the path up to its target. Pure: `now` comes in; src/widget/ and Eagle Eye's pane draw the rows.
import type { SourceId } from './events.js';
import type { Derivation, DerivationStatus, State, Transfer } from './model.js';

export type TreeRow = {
  /** Box-drawing guide before the mark: '' for a target, `├─ `, `│  └─ `, ... */
  readonly guide: string;
  readonly drv: Derivation;
  /** Ancestors left out between it and the row it is drawn under (its path did not fit): 0 for a direct input. */
  readonly skipped: number;
};

export type BuildTree = {
  readonly rows: readonly TreeRow[];
  /** Derivations of the build not drawn, by status (what the fold left out). */
  readonly hidden: Readonly<Partial<Record<DerivationStatus, number>>>;
  readonly hiddenCount: number;
  /** Transfers of the build that run, or stopped within the recent window. */
  readonly transfers: readonly Transfer[];
};

export type TreeOptions = {
  readonly now: number | null;
  /** Rows the tree may take (transfers and the summary are the caller's). */
  readonly maxRows: number;
  /** How long a finished build stays in view, ms. */
  readonly recentMs?: number;
};

const RECENT_MS = 10_000;

/** The paths of a build, once each: each job's plan, then whatever else it built or waited for. */
function pathsOf(state: State, sources: readonly SourceId[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const s of sources) {
    const job = state.jobs.get(s);
    if (!job) continue;
    for (const list of [job.plan, job.drvs]) {
      for (const p of list) {
        if (!seen.has(p) && state.derivations.has(p)) { seen.add(p); out.push(p); }
      }
    }
  }
  return out;
}

/** The derivations of a build, once each, in tree order (targets first). */
export function buildDerivations(state: State, sources: readonly SourceId[]): Derivation[] {
  const out: Derivation[] = [];
  for (const p of cachedForest(state, sources).order) {
    const d = state.derivations.get(p);
    if (d) out.push(d);
  }
  return out;
}

type Forest = { readonly order: readonly string[]; readonly parent: ReadonlyMap<string, string | null> };

/**
 * Targets first, each input under the first derivation that names it (a diamond shows a drv once), depth first,
 * iteratively: a chain of 50,000 derivations must not overflow the stack. Without .drv inputs, a flat list.
 */
function forestOf(state: State, paths: readonly string[]): Forest {
  const inSet = new Set(paths);
  const get = (p: string): Derivation | undefined => state.derivations.get(p);
  const isInput = new Set<string>();
  for (const p of paths) for (const i of get(p)?.inputDrvs ?? []) if (i !== p && inSet.has(i)) isInput.add(i);
  const order: string[] = [];
  const parent = new Map<string, string | null>();
  const stack: { path: string; up: string | null }[] = [];
  const visit = (root: string): void => {
    stack.push({ path: root, up: null });
    while (stack.length > 0) {
      const { path, up } = stack.pop()!;
      if (parent.has(path)) continue;
      parent.set(path, up);
      order.push(path);
      // A .drv lists its inputs by store hash, which changes with every edit: by name, the tree keeps its shape.
      const inputs = (get(path)?.inputDrvs ?? []).filter((c) => inSet.has(c) && !parent.has(c)).sort((a, b) => byName(get(a), get(b), a, b));
      for (let i = inputs.length - 1; i >= 0; i--) stack.push({ path: inputs[i]!, up: path });
    }
  };
  for (const p of paths) if (!isInput.has(p)) visit(p);
  for (const p of paths) if (!parent.has(p)) visit(p); // a cycle: nothing is anyone's target
  return { order, parent };
}

const byName = (da: Derivation | undefined, db: Derivation | undefined, a: string, b: string): number => {
  const x = da?.name ?? a, y = db?.name ?? b;
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
};

// The structure changes only when derivations join a job or a .drv is read (its inputs become known): kept per
// state lineage, keyed on those counts, so a frame does not walk 50,000 derivations' edges again.
const forests = new WeakMap<State['derivations'], { key: string; forest: Forest }>();

function cachedForest(state: State, sources: readonly SourceId[]): Forest {
  let key = `${state.drvInfo.size}`;
  for (const s of sources) { const j = state.jobs.get(s); key += `|${s}:${j?.plan.length ?? -1}:${j?.drvs.length ?? -1}`; }
  const hit = forests.get(state.derivations);
  if (hit && hit.key === key) return hit.forest;
  const forest = forestOf(state, pathsOf(state, sources));
  forests.set(state.derivations, { key, forest });
  return forest;
}

/** Lower is drawn first: failed, running, waiting, then finished lately (newest first), then the targets. */
function rankOf(d: Derivation, isRoot: boolean, now: number | null, recentMs: number): number | null {
  if (d.status === 'failed') return 0;
  if (d.status === 'running') return 1;
  if (d.status === 'waiting') return 2;
  if (d.stoppedAt !== null && d.status !== 'planned' && d.status !== 'valid') {
    const age = now === null ? 0 : now - d.stoppedAt;
    if (age <= recentMs) return 3 + Math.max(0, age) / (recentMs + 1);
  }
  return isRoot ? 5 : null;
}

export function buildTree(state: State, sources: readonly SourceId[], opts: TreeOptions): BuildTree {
  const recentMs = opts.recentMs ?? RECENT_MS;
  const forest = cachedForest(state, sources);
  const candidates: { path: string; rank: number; at: number }[] = [];
  forest.order.forEach((path, at) => {
    const d = state.derivations.get(path);
    const rank = d ? rankOf(d, forest.parent.get(path) === null, opts.now, recentMs) : null;
    if (rank !== null) candidates.push({ path, rank, at });
  });
  candidates.sort((a, b) => a.rank - b.rank || a.at - b.at);
  const budget = Math.max(1, opts.maxRows);
  let shown = pick(candidates, forest, budget);
  if (shown.size < forest.order.length) shown = pick(candidates, forest, budget - 1);
  const hidden: Partial<Record<DerivationStatus, number>> = {};
  let hiddenCount = 0;
  for (const p of forest.order) {
    const d = state.derivations.get(p);
    if (!d || shown.has(p)) continue;
    hidden[d.status] = (hidden[d.status] ?? 0) + 1;
    hiddenCount++;
  }
  return {
    rows: guides(state, forest, shown), hidden, hiddenCount,
    transfers: buildTransfers(state, sources, opts.now, recentMs),
  };
}

/**
 * Candidates in rank order, each with the part of its path to the target not drawn yet, while they fit; one whose
 * path does not fit (a deep tree) is drawn alone, under its nearest drawn ancestor.
 */
function pick(candidates: readonly { path: string }[], forest: Forest, budget: number): Set<string> {
  const shown = new Set<string>();
  for (const c of candidates) {
    if (shown.size >= budget) break;
    const path: string[] = [];
    for (let p: string | null = c.path; p !== null && !shown.has(p) && path.length <= budget; p = forest.parent.get(p) ?? null) path.push(p);
    if (path.length === 0) continue;
    if (shown.size + path.length <= budget) for (const p of path) shown.add(p);
    else shown.add(c.path);
  }
  return shown;
}

/** The nearest drawn ancestor and how many were left out on the way. */
function drawnParent(forest: Forest, shown: ReadonlySet<string>, path: string): { up: string | null; skipped: number } {
  let skipped = 0;
  for (let p = forest.parent.get(path) ?? null; p !== null; p = forest.parent.get(p) ?? null, skipped++) {
    if (shown.has(p)) return { up: p, skipped };
  }
  return { up: null, skipped };
}

/** The drawn derivations in tree order, each with its guide (├─, └─, │) among the drawn ones. */
function guides(state: State, forest: Forest, shown: ReadonlySet<string>): TreeRow[] {
  const kids = new Map<string | null, string[]>();
  const skippedOf = new Map<string, number>();
  for (const p of forest.order) {
    if (!shown.has(p)) continue;
    const { up, skipped } = drawnParent(forest, shown, p);
    skippedOf.set(p, skipped);
    const list = kids.get(up);
    if (list) list.push(p); else kids.set(up, [p]);
  }
  const rows: TreeRow[] = [];
  const stack: { path: string; prefix: string; guide: string }[] = [];
  const pushKids = (up: string | null, prefix: string, top: boolean): void => {
    const list = kids.get(up) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const last = i === list.length - 1;
      stack.push({ path: list[i]!, prefix: top ? '' : prefix + (last ? '   ' : '│  '), guide: top ? '' : prefix + (last ? '└─ ' : '├─ ') });
    }
  };
  pushKids(null, '', true);
  while (stack.length > 0) {
    const { path, prefix, guide } = stack.pop()!;
    const drv = state.derivations.get(path);
    if (drv) rows.push({ guide, drv, skipped: skippedOf.get(path) ?? 0 });
    pushKids(path, prefix, false);
  }
  return rows;
}

/** The build's transfers that run, or stopped within `recentMs`. */
export function buildTransfers(state: State, sources: readonly SourceId[], now: number | null, recentMs = RECENT_MS): Transfer[] {
  const from = new Set(sources);
  const out: Transfer[] = [];
  for (const t of state.transfers.values()) {
    if (!from.has(t.source)) continue;
    if (t.status === 'running' || (t.stoppedAt !== null && now !== null && now - t.stoppedAt <= recentMs)) out.push(t);
  }
  return out;
}
