// The widget's selectors (issue 15) on real Nix 2.8 captures: the tree of a build as it runs, folded to a height,
// and its summary. Edges come from the truth files' `deps` (read from the real store by the capture scripts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../src/ingest/decode.js';
import { buildFailures, buildSummary, slowestBuilds } from '../../src/state/build-summary.js';
import { buildTree, type TreeRow } from '../../src/state/build-tree.js';
import type { BtmEvent } from '../../src/state/events.js';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { jobCounts } from '../../src/state/selectors.js';
import { readdirSync } from 'node:fs';
import { root } from '../helpers.js';

const CAPTURES = join(root, 'tests/fixtures/captures');
type Truth = { drvs: Record<string, { name: string; outputs: Record<string, string>; deps: string[] }> };

/** A capture fed as `run` feeds it: one line every 100 ms; `stopWhen` ends the replay early at a line. */
function feed(capture: string, opts: { stopWhen?: (line: string) => boolean; edges?: boolean } = {}): { state: State; at: number } {
  const truth = JSON.parse(readFileSync(join(CAPTURES, `${capture}.truth.json`), 'utf8')) as Truth;
  const lines = readFileSync(join(CAPTURES, `${capture}.jsonl`), 'utf8').split('\n').filter((l) => l !== '');
  let at = 1_000_000;
  let state = reduce(initialState(), { kind: 'source-open', at, source: 'run', info: { via: 'run', pid: null, uid: null, user: null, command: capture } });
  if (opts.edges !== false) {
    for (const [drvPath, d] of Object.entries(truth.drvs)) {
      const e: BtmEvent = { kind: 'drv-info', at, info: { drvPath, name: d.name, outputs: d.outputs, inputDrvs: d.deps, system: 'x86_64-linux' } };
      state = reduce(state, e);
    }
  }
  for (const line of lines) {
    at += 100;
    state = reduce(state, { kind: 'nix', at, source: 'run', record: decodeLine(line) });
    if (opts.stopWhen?.(line)) return { state, at };
  }
  state = reduce(state, { kind: 'source-close', at, source: 'run', exitCode: null, reason: 'eof' });
  return { state, at };
}

const text = (rows: readonly TreeRow[]): string[] => rows.map((r) => `${r.guide}${r.drv.name} ${r.drv.status}`);

/** Every drawn row's parent in the dependency graph is drawn above it (the path to the target is kept). */
function pathsKept(rows: readonly TreeRow[]): void {
  expect(rows.every((r) => r.skipped === 0)).toBe(true);
  const depth = (r: TreeRow): number => [...r.guide].length / 3;
  for (let i = 0; i < rows.length; i++) {
    const d = depth(rows[i]!);
    if (d === 0) continue;
    const parent = rows.slice(0, i).reverse().find((r) => depth(r) === d - 1);
    expect(parent?.drv.inputDrvs, rows[i]!.drv.name).toContain(rows[i]!.drv.drvPath);
  }
}

describe('build tree of the keep-going capture (libgamma fails, 9 built)', () => {
  const capture = 'log-daemon-root-graph-fail-libgamma-keep-going';

  it('when libgamma has just failed: the failure and the running builds, each under its path to release', () => {
    const { state, at } = feed(capture, { stopWhen: (l) => l.includes('libgamma-1.4.0.drv') && l.includes('failed with exit code') });
    const tree = buildTree(state, ['run'], { now: at, maxRows: 40 });
    const rows = text(tree.rows);
    // The store's edges, inputs by name, each derivation under the first that names it (libbeta under svc-api, not
    // again under svc-worker); docs, planned and on no running or failed path, is folded away.
    expect(rows).toEqual([
      'release-2.0 planned',
      '├─ bundle-server-2.0 planned',
      '│  ├─ fonts-2.1 built',
      '│  ├─ svc-api-2.0 planned',
      '│  │  ├─ libalpha-0.9.1 running',
      '│  │  │  └─ base-1.0 built',
      '│  │  └─ libbeta-3.2 running',
      '│  └─ svc-worker-2.0 planned',
      '│     └─ libgamma-1.4.0 failed',
      '└─ bundle-tools-2.0 planned',
      '   └─ svc-cli-2.0 planned',
      '      └─ libdelta-7.0 running',
    ]);
    expect(tree.hidden).toEqual({ planned: 1 });
    expect(tree.rows.filter((r) => r.drv.status === 'running').map((r) => r.drv.name).sort()).toEqual(['libalpha-0.9.1', 'libbeta-3.2', 'libdelta-7.0']);
    pathsKept(tree.rows);
    // Each derivation is drawn once, though libbeta and libalpha are inputs of two derivations each.
    expect(new Set(tree.rows.map((r) => r.drv.drvPath)).size).toBe(tree.rows.length);
    const s = buildSummary(state, ['run'], at);
    expect([s.counts.running, s.counts.built, s.counts.failed, s.total]).toEqual([3, 2, 1, 13]);
    expect(s.finished).toBe(false);
  });

  it('folds to a small height: running and failed first, a count of what was left out', () => {
    const { state, at } = feed(capture, { stopWhen: (l) => l.includes('libgamma-1.4.0.drv') && l.includes('failed with exit code') });
    const tree = buildTree(state, ['run'], { now: at, maxRows: 6 });
    expect(tree.rows.length).toBeLessThanOrEqual(5);
    expect(tree.rows.some((r) => r.drv.status === 'failed')).toBe(true);
    // What did not fit with its whole path is drawn under its nearest drawn ancestor, saying how many were left out.
    for (const r of tree.rows) if (r.skipped > 0) expect(r.guide === '' || r.drv.status !== 'planned').toBe(true);
    expect(tree.hiddenCount).toBe(13 - tree.rows.length);
    expect(Object.values(tree.hidden).reduce((a, b) => a + b, 0)).toBe(tree.hiddenCount);
  });

  it('at the end: the outcomes the reducer gives, with the failure reason and the slowest builds', () => {
    const { state, at } = feed(capture);
    const s = buildSummary(state, ['run'], at);
    expect([s.counts.built, s.counts.failed, s.counts.cancelled, s.counts.running]).toEqual([9, 1, 3, 0]);
    expect(s.finished).toBe(true);
    expect(buildFailures(state, ['run'])).toEqual([expect.objectContaining({ name: 'libgamma-1.4.0', reason: 'builder failed with exit code 2' })]);
    // libdelta's builder sleeps 4 s and libbeta's 3 s: the log's own timing (one line per 100 ms here) keeps that order.
    expect(slowestBuilds(state, ['run'], 2).map((b) => b.drv.name)).toEqual(['libdelta-7.0', 'libbeta-3.2']);
    // Long finished: only the targets' path and the failure stay in view.
    const later = buildTree(state, ['run'], { now: at + 60_000, maxRows: 40 });
    expect(later.rows.some((r) => r.drv.status === 'built' && r.drv.name === 'fonts-2.1')).toBe(false);
    expect(later.rows.some((r) => r.drv.status === 'failed')).toBe(true);
  });
});

describe('build tree without .drv edges and at size', () => {
  it('is a flat list of the running builds when no inputs are known', () => {
    const { state, at } = feed('log-daemon-root-graph-success', { edges: false, stopWhen: (l) => l.includes('"type":105') && l.includes('libdelta') });
    const tree = buildTree(state, ['run'], { now: at, maxRows: 40 });
    expect(tree.rows.every((r) => r.guide === '')).toBe(true);
    expect(tree.rows.some((r) => r.drv.name === 'libdelta-7.0' && r.drv.status === 'running')).toBe(true);
  });

  it('2,000 real derivations (daemon-wide-2000) fold into 20 rows with the running ones drawn', () => {
    const { state, at } = feed('truth/daemon-wide-2000', { stopWhen: (l) => l.includes('"action":"start"') && l.includes('cell-r50-c3.') });
    const tree = buildTree(state, ['run'], { now: at, maxRows: 20 });
    expect(tree.rows.length).toBeLessThanOrEqual(19);
    const running = buildSummary(state, ['run'], at).counts.running;
    expect(running).toBeGreaterThan(0);
    expect(tree.rows.filter((r) => r.drv.status === 'running').length).toBe(Math.min(running, 18));
    expect(tree.hiddenCount + tree.rows.length).toBe(buildSummary(state, ['run'], at).total);
  });

  it('a chain of 50,000 derivations (drv-info edges) is walked without overflowing the stack', () => {
    let state = reduce(initialState(), { kind: 'source-open', at: 0, source: 'run', info: { via: 'run', pid: null, uid: null, user: null, command: 'chain' } });
    const path = (i: number): string => `/nix/store/${String(i).padStart(32, '0').replace(/[eotu]/g, 'a')}-c${i}.drv`;
    for (let i = 0; i < 50_000; i++) {
      state = reduce(state, { kind: 'drv-info', at: 0, info: { drvPath: path(i), name: `c${i}`, outputs: {}, inputDrvs: i > 0 ? [path(i - 1)] : [], system: 'x' } });
      // Our own event (a build /proc saw end), not a Nix line: it ties the derivation to the job.
      state = reduce(state, { kind: 'local-build', at: 0, source: 'run', drvPath: path(i), status: 'built', reason: null });
    }
    const tree = buildTree(state, ['run'], { now: 60_000, maxRows: 10 });
    expect(tree.rows.length).toBe(1);
    expect(tree.rows[0]!.drv.name).toBe('c49999');
    expect(tree.hiddenCount).toBe(49_999);
  });
});

describe('the widget says what the dashboard says (same reducer, same derivations)', () => {
  const captures = readdirSync(CAPTURES).filter((f) => f.endsWith('.jsonl')).map((f) => f.replace(/\.jsonl$/, ''));
  it.each(captures)('%s: summary counts equal the Jobs/Eagle Eye counts of the job', (capture) => {
    const { state, at } = feed(capture);
    const s = buildSummary(state, ['run'], at);
    const c = jobCounts(state, state.jobs.get('run')!);
    expect({ built: s.counts.built, substituted: s.counts.substituted, failed: s.counts.failed, cancelled: s.counts.cancelled,
      interrupted: s.counts.interrupted, total: s.total })
      .toEqual({ built: c.built, substituted: c.substituted, failed: c.failed, cancelled: c.cancelled, interrupted: c.interrupted, total: c.planned });
    // Every derivation of the build is drawn or counted as folded away, none twice.
    const tree = buildTree(state, ['run'], { now: at, maxRows: 1000 });
    expect(tree.rows.length + tree.hiddenCount).toBe(s.total + s.counts.valid);
  });
});
