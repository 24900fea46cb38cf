// Real Nix 2.30.5 json-log-path streams (tests/fixtures/nix-2.30, made by scripts/capture-nix230.mjs), replayed
// per connection in the order their bytes arrived, through the daemon's own pipeline (openLogSource -> reduce).
// The store's ground truth of each capture (truth.json) is the judge: outputs valid <=> built.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLogSource, type LogSource } from '../../src/ingest/log-source.js';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { buildSummary } from '../../src/state/build-summary.js';
import { jobCounts, statusCounts } from '../../src/state/selectors.js';
import { jobForest } from '../../src/ui/rows-eagle.js';
import { jobLeftMs } from '../../src/ui/eta-column.js';
import { root } from '../helpers.js';

const DIR = join(root, 'tests/fixtures/nix-2.30');
type Conn = { file: string; pid: number | null; uid: number | null; argv: string[] };
type Truth = {
  scenario: string; runs: { exitCode: number | null; signal: string | null; user: string }[]; connections: Conn[];
  drvs: Record<string, { attr: string; name: string; outputsValid: boolean }>;
};

/** `afterChunk`: called with the state after each chunk is pushed, as the daemon's state stood then. */
export function replayCapture(name: string, afterChunk?: (state: State) => void): { state: State; truth: Truth } {
  const dir = join(DIR, name);
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Truth;
  let state = initialState();
  const emit = (e: Parameters<typeof reduce>[1]): void => { state = reduce(state, e); };
  const sources = new Map<number, { src: LogSource; bytes: Buffer; at: number }>();
  truth.connections.forEach((c, i) => {
    const id = i + 1;
    const worker = (c.argv[0] ?? '').endsWith('/nix-daemon');
    const src = openLogSource({ source: `nix:${c.pid}:${id}`, emit, clock: () => null,
      info: { via: 'socket', pid: c.pid, uid: c.uid, user: c.uid === 0 ? 'root' : null, command: c.argv.join(' '), ...(worker ? { daemonWorker: true } : {}) } });
    sources.set(id, { src, bytes: readFileSync(join(dir, c.file)), at: 0 });
  });
  for (const line of readFileSync(join(dir, 'arrival.jsonl'), 'utf8').split('\n').filter(Boolean)) {
    const a = JSON.parse(line) as { c: number; bytes: number };
    const s = sources.get(a.c)!;
    s.src.push(s.bytes.subarray(s.at, s.at + a.bytes));
    s.at += a.bytes;
    afterChunk?.(state);
  }
  for (const s of sources.values()) {
    expect(s.at).toBe(s.bytes.length);
    s.src.end(null, 'eof');
  }
  return { state, truth };
}

const scenarios = existsSync(DIR) ? readdirSync(DIR).filter((f) => existsSync(join(DIR, f, 'truth.json'))).sort() : [];
const statusOf = (state: State, truth: Truth, attr: string): string | undefined => {
  const drv = Object.entries(truth.drvs).find(([, d]) => d.attr === attr)?.[0];
  return drv === undefined ? undefined : state.derivations.get(drv)?.status;
};

describe('real Nix 2.30.5 captures against the store', () => {
  it('the captures are there (scripts/capture-nix230.mjs)', () => {
    expect(scenarios).toEqual(expect.arrayContaining(['keep-going-failure', 'legacy-root-graph', 'newcli-root-graph', 'sigint', 'two-users-overlap']));
  });

  for (const name of scenarios) {
    it(`${name}: every derivation the log names is built exactly when the store has its outputs`, () => {
      const { state, truth } = replayCapture(name);
      expect(state.decodeErrors).toBe(0);
      let seen = 0;
      for (const [drvPath, t] of Object.entries(truth.drvs)) {
        const d = state.derivations.get(drvPath);
        if (!d) continue;
        seen++;
        if (t.outputsValid) expect(d.status, `${t.name}`).toBe('built');
        else expect(d.status, `${t.name}`).not.toBe('built');
      }
      expect(seen).toBeGreaterThan(0);
      // One Build activity per derivation over all connections; every connection ends as a closed job.
      expect([...state.jobs.values()].every((j) => j.status !== 'running')).toBe(true);
    });
  }

  it('keep-going-failure: bad failed with exit code 3, good built, needs-bad not built, the job failed', () => {
    const { state, truth } = replayCapture('keep-going-failure');
    const bad = Object.entries(truth.drvs).find(([, d]) => d.attr === 'bad')![0];
    expect(state.derivations.get(bad)).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(statusOf(state, truth, 'good')).toBe('built');
    expect(statusOf(state, truth, 'needsBad')).not.toBe('built');
    expect([...state.jobs.values()].some((j) => j.status === 'failed')).toBe(true);
  });

  // A legacy nix-build through the daemon streams only its worker, which names a build when it starts it and prints
  // no plan: the total comes from Nix's Builds counters (2.30 counts `expected` up as builds finish).
  it('legacy-root-wide: the job counts every build it needs from its first build on, not only those started', () => {
    const needed = (truth: Truth): number => Object.keys(truth.drvs).length; // none was valid before (fresh nonce)
    const seen: { planned: number; remaining: number; finished: number; running: boolean; queued: number; runningNow: number; nested: boolean; leftMs: number | null }[] = [];
    const { state, truth } = replayCapture('legacy-root-wide', (s) => {
      const job = [...s.jobs.values()][0];
      if (!job || ![...s.derivations.values()].some((d) => d.status !== 'planned')) return;
      const c = jobCounts(s, job);
      const h = statusCounts(s);
      // Eagle Eye: no plan, no target: no build drawn as the parent of the others.
      const nested = jobForest(s, job).some((n) => n.children.length > 0);
      // LEFT with every build known to take 1 s, 2 at a time: the unnamed builds count too.
      const leftMs = jobLeftMs(job, s, { estimate: () => ({ ms: 1000, basis: 'same version, this host', samples: 3 }), slots: () => 2 });
      seen.push({ planned: c.planned, remaining: c.remaining, finished: c.built + c.failed + c.cancelled, running: job.status === 'running',
        queued: h.planned + h.waiting, runningNow: h.running, nested, leftMs });
    });
    expect(needed(truth)).toBe(14);
    expect(seen.length).toBeGreaterThan(5);
    for (const c of seen) {
      expect(c.planned).toBe(14);
      if (c.running) expect(c.remaining + c.finished).toBe(14);
      // The header's queued: what the job still expects, less what runs (the old header said 0 while 8 waited).
      if (c.running) expect(c.queued).toBe(c.remaining - c.runningNow);
      // At least the queued builds two at a time (the old LEFT counted the named ones only: ~0 s with 8 to go).
      if (c.running) expect(c.leftMs ?? 0).toBeGreaterThanOrEqual(Math.floor(c.queued / 2) * 1000);
      expect(c.nested).toBe(false);
    }
    // Mid-build there were more left than the two builds running (max-jobs = 2): the old count showed 2.
    expect(seen.some((c) => c.running && c.remaining > 6)).toBe(true);
    expect(seen.some((c) => c.running && c.queued > 4)).toBe(true);
    const job = [...state.jobs.values()][0]!;
    expect(job.status).toBe('failed');
    // wide-top never started (its dependency bad failed): never named in the log, counted as cancelled.
    expect(jobCounts(state, job)).toEqual({ planned: 14, built: 12, substituted: 0, failed: 1, cancelled: 1, interrupted: 0, remaining: 0 });
    const summary = buildSummary(state, [job.source], null);
    expect(summary.total).toBe(14);
    expect(summary.counts).toMatchObject({ built: 12, failed: 1, cancelled: 1 });
  });

  it('keep-going-failure: needs-bad and fail-top, never named by the worker, count as cancelled', () => {
    const { state } = replayCapture('keep-going-failure');
    const job = [...state.jobs.values()][0]!;
    expect(jobCounts(state, job)).toMatchObject({ planned: 4, built: 1, failed: 1, cancelled: 2, remaining: 0 });
  });

  it('sigint: the interrupted build ends interrupted (no stop record: the connection closing is the end)', () => {
    const { state, truth } = replayCapture('sigint');
    expect(truth.drvs[Object.keys(truth.drvs).find((k) => truth.drvs[k]!.attr === 'slow')!]!.outputsValid).toBe(false);
    expect(statusOf(state, truth, 'slow')).toBe('interrupted');
  });

  it('two-users-overlap: the shared derivation built once, both users’ derivations built', () => {
    const { state, truth } = replayCapture('two-users-overlap');
    for (const attr of ['shared', 'onlyA', 'onlyB']) expect(statusOf(state, truth, attr), attr).toBe('built');
    expect(truth.runs.map((r) => r.exitCode)).toEqual([0, 0]);
  });

  it('newcli-root-graph: the client and its worker both connected; the plan comes from the client', () => {
    const { state, truth } = replayCapture('newcli-root-graph');
    expect(truth.connections.length).toBe(2);
    const top = Object.entries(truth.drvs).find(([, d]) => d.attr === 'graph')![0];
    expect([...state.jobs.values()].some((j) => j.plan.includes(top))).toBe(true);
    expect(statusOf(state, truth, 'graph')).toBe('built');
  });
});
