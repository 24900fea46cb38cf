// The caches that bound a frame's cost (docs/ui.md, "What a frame costs") never show stale rows: replaying the real
// demo capture event by event, every view's rows from the cached, incrementally reduced state are the rows a state
// with no cache entries gives (its entities copied, so every identity-keyed cache misses); and each cache is checked
// on its own where a change must get through (a derivation replaced, a sort order changed, a block changed).
import { describe, expect, it } from 'vitest';
import type { Derivation, State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { viewRows } from '../../src/ui/view-rows.js';
import { initialUi, type UiState } from '../../src/ui/ui-state.js';
import type { ViewId } from '../../src/ui/keymap.js';
import { cachedRows, joinBlocks, sortBy, type Row } from '../../src/ui/rows.js';
import { jobDrvs } from '../../src/ui/rows-cache.js';
import { leftOf, leftOfLazily, withLeft, type EtaTable } from '../../src/ui/eta-column.js';
import { recording, stateAt } from './helpers.js';

/** The same state with every entity and map a new object: no WeakMap entry of any cache applies to it. */
function fresh(s: State): State {
  const copy = <V extends object>(m: ReadonlyMap<string, V>): Map<string, V> => new Map([...m].map(([k, v]) => [k, { ...v }]));
  return { ...s, jobs: copy(s.jobs), derivations: copy(s.derivations), transfers: copy(s.transfers), processes: s.processes.map((p) => ({ ...p })) };
}

const shown = (rows: readonly Row[]): string[] => rows.map((r) => `${r.key} ${r.tone} ${r.fold ?? ''} ${r.cells.join('|')}`);

const VIEWS: readonly ViewId[] = ['process', 'builder', 'eagle', 'jobs'];

/** Real expected durations: each derivation's own, from the whole recorded run. */
function etaTable(): EtaTable {
  const end = stateAt(Infinity);
  const ms = new Map<string, number>();
  for (const d of end.derivations.values()) if (d.startedAt !== null && d.stoppedAt !== null) ms.set(d.name, d.stoppedAt - d.startedAt);
  return { estimate: (name) => { const m = ms.get(name); return m === undefined ? null : { ms: m, basis: 'same version, this host', samples: 1 }; }, slots: () => 2 };
}

describe('cached rows against uncached rows, over the whole real capture', () => {
  it('every view, every event: the same rows (and LEFT cells) as from a state no cache has seen', () => {
    const uis: UiState[] = VIEWS.map((view) => ({ ...initialUi, view }));
    // A sort on a column whose order changes as builds run (elapsed time), descending.
    uis.push({ ...initialUi, view: 'jobs', sorts: { ...initialUi.sorts, jobs: { column: 5, desc: true } } });
    uis.push({ ...initialUi, view: 'process', sorts: { ...initialUi.sorts, process: { column: 2, desc: true } } });
    const eta = etaTable();
    let s = initialState();
    let checked = 0;
    for (const [i, e] of recording().events.entries()) {
      s = reduce(s, e);
      // Every event early on (the plan arriving), then every 7th, and the last.
      if (i > 200 && i % 7 !== 0 && i !== recording().events.length - 1) continue;
      const f = fresh(s);
      for (const ui of uis) {
        const cached = viewRows(s, ui).rows;
        expect(shown(cached), `${ui.view} after event ${i}`).toEqual(shown(viewRows(f, ui).rows));
        if (ui.view === 'process') continue;
        // LEFT for a window only (what App draws) is the window of LEFT for every row.
        const window = cached.slice(3, 20);
        const all = withLeft(viewRows(f, ui).rows, [], f, eta).rows;
        expect(shown(leftOf(s, eta)(window))).toEqual(shown(all.slice(3, 20)));
        // What the keys get: every row, LEFT worked out when read.
        expect(shown(leftOfLazily(s, eta)(cached))).toEqual(shown(all));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  });
});

describe('jobDrvs', () => {
  it('keeps its array while no derivation of the job changed, and shows a replaced one', () => {
    const s = stateAt(3000);
    const job = [...s.jobs.values()][0]!;
    const first = jobDrvs(s, job);
    expect(first.length).toBeGreaterThan(3);
    expect(jobDrvs(s, job)).toBe(first);
    const d = first[2]!;
    const changed: Derivation = { ...d, status: 'failed' };
    s.derivations.set(d.drvPath, changed);
    const after = jobDrvs(s, job);
    expect(after).not.toBe(first);
    expect(after[2]).toBe(changed);
  });
});

describe('sortBy with a site (the last order tried first)', () => {
  it('gives the plain stable sort every time, as keys change, tie, and reorder', () => {
    const site = {};
    let seed = 7;
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    const items = Array.from({ length: 60 }, (_, i) => ({ id: i, v: rand(10), s: `nixbld${rand(12)}` }));
    for (let round = 0; round < 300; round++) {
      // Mostly small changes (the order often survives), sometimes a new value that reorders.
      const it = items[rand(items.length)]!;
      if (round % 3 === 0) it.v = rand(10);
      if (round % 5 === 0) it.s = `nixbld${rand(12)}`;
      for (const desc of [false, true]) {
        const plain = sortBy(items, (x) => x.v, desc).map((x) => x.id);
        expect(sortBy(items, (x) => x.v, desc, site).map((x) => x.id)).toEqual(plain);
        const plainS = sortBy(items, (x) => x.s, desc).map((x) => x.id);
        expect(sortBy(items, (x) => x.s, desc, site).map((x) => x.id)).toEqual(plainS);
      }
    }
  });
});

describe('cachedRows and joinBlocks', () => {
  const row = (key: string): Row => ({ key, cells: [key], tone: 'normal' });

  it('rebuild a block when an element of an array dep changes, not when the array is only new', () => {
    const cache = new WeakMap<object, { deps: readonly unknown[]; rows: readonly Row[] }>();
    const owner = {};
    const a = {}, b = {};
    let built = 0;
    const build = (): Row[] => { built++; return [row(`r${built}`)]; };
    const one = cachedRows(cache, owner, ['x', [a, b]], build);
    expect(cachedRows(cache, owner, ['x', [a, b]], build)).toBe(one);
    const two = cachedRows(cache, owner, ['x', [a, {}]], build);
    expect(two).not.toBe(one);
    expect(two[0]!.key).toBe('r2');
    expect(cachedRows(cache, owner, ['x', [a]], build)[0]!.key).toBe('r3');
  });

  it('give the same list while every block is the same, and the new rows once one changed', () => {
    const cache = new WeakMap<object, { blocks: readonly (readonly Row[])[]; rows: readonly Row[] }>();
    const owner = {};
    const x = [row('a'), row('b')], y = [row('c')];
    const first = joinBlocks(cache, owner, [x, y]);
    expect(first.map((r) => r.key)).toEqual(['a', 'b', 'c']);
    expect(joinBlocks(cache, owner, [x, y])).toBe(first);
    expect(joinBlocks(cache, owner, [x, [row('d')]]).map((r) => r.key)).toEqual(['a', 'b', 'd']);
    expect(joinBlocks(cache, owner, [y, x]).map((r) => r.key)).toEqual(['c', 'a', 'b']);
  });
});
