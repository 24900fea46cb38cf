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

/** The derivations of a build, once each: each job's plan, then whatever else it built or waited for. */
export function buildDerivations(state: State, sources: readonly SourceId[]): Derivation[] {
  const seen = new Set<string>();
  const out: Derivation[] = [];
  for (const s of sources) {
    const job = state.jobs.get(s);
    if (!job) continue;
    for (const list of [job.plan, job.drvs]) {
      for (const p of list) {
        if (seen.has(p)) continue;
        const d = state.derivations.get(p);
        if (d) { seen.add(p); out.push(d); }
      }
    }
  }
  return out;
}

type Forest = { readonly order: readonly string[]; readonly parent: ReadonlyMap<string, string | null> };

/**
 * Targets first, each input under the first derivation that names it (a diamond shows a drv once), depth first,
 * iteratively: a chain of 50,000 derivations must not overflow the stack. Without .drv inputs, a flat list.
 */
function forestOf(drvs: readonly Derivation[]): Forest {
  const inSet = new Map(drvs.map((d) => [d.drvPath, d]));
  const isInput = new Set<string>();
  for (const d of drvs) for (const i of d.inputDrvs ?? []) if (i !== d.drvPath && inSet.has(i)) isInput.add(i);
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
      const inputs = [...(inSet.get(path)?.inputDrvs ?? [])].sort((a, b) => byName(inSet, a, b));
      for (let i = inputs.length - 1; i >= 0; i--) {
        const c = inputs[i]!;
        if (inSet.has(c) && !parent.has(c)) stack.push({ path: c, up: path });
      }
    }
  };
  for (const d of drvs) if (!isInput.has(d.drvPath)) visit(d.drvPath);
  for (const d of drvs) if (!parent.has(d.drvPath)) visit(d.drvPath); // a cycle: nothing is anyone's target
  return { order, parent };
}

const byName = (inSet: ReadonlyMap<string, Derivation>, a: string, b: string): number => {
  const x = inSet.get(a)?.name ?? a, y = inSet.get(b)?.name ?? b;
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
};

// The structure changes only when derivations join or their inputs become known: kept per state lineage.
const forests = new WeakMap<State['derivations'], { key: string; forest: Forest }>();

function cachedForest(state: State, drvs: readonly Derivation[], sources: readonly SourceId[]): Forest {
  let known = 0;
  for (const d of drvs) if (d.inputDrvs !== null) known++;
  const key = `${sources.join('\u0000')}|${drvs.length}|${known}`;
  const hit = forests.get(state.derivations);
  if (hit && hit.key === key) return hit.forest;
  const forest = forestOf(drvs);
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
  const drvs = buildDerivations(state, sources);
  const byPath = new Map(drvs.map((d) => [d.drvPath, d]));
  const forest = cachedForest(state, drvs, sources);
  const candidates: { path: string; rank: number; at: number }[] = [];
  forest.order.forEach((path, at) => {
    const rank = rankOf(byPath.get(path)!, forest.parent.get(path) === null, opts.now, recentMs);
    if (rank !== null) candidates.push({ path, rank, at });
  });
  candidates.sort((a, b) => a.rank - b.rank || a.at - b.at);
  const budget = Math.max(1, opts.maxRows);
  let shown = pick(candidates, forest, budget);
  if (shown.size < drvs.length) shown = pick(candidates, forest, budget - 1);
  const hidden: Partial<Record<DerivationStatus, number>> = {};
  for (const d of drvs) if (!shown.has(d.drvPath)) hidden[d.status] = (hidden[d.status] ?? 0) + 1;
  return {
    rows: guides(forest, shown, byPath), hidden, hiddenCount: drvs.length - shown.size,
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
function guides(forest: Forest, shown: ReadonlySet<string>, byPath: ReadonlyMap<string, Derivation>): TreeRow[] {
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
    rows.push({ guide, drv: byPath.get(path)!, skipped: skippedOf.get(path) ?? 0 });
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
