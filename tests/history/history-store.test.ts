// The history database with real parts: real Nix 2.8 captures through the real decoder, reducer, recorder and SQLite.
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLogSource } from '../../src/ingest/log-source.js';
import { parseDrvName } from '../../src/history/drv-name.js';
import { HistoryRecorder } from '../../src/history/recorder.js';
import { HistoryQueries } from '../../src/history/queries.js';
import { HistoryError, openHistory, SCHEMA_VERSION } from '../../src/history/schema.js';
import { HistoryStore } from '../../src/history/store.js';
import { stats } from '../../src/history/analytics.js';
import { pruneStep } from '../../src/history/retention.js';
import { parseQuery } from '../../src/history/protocol.js';
import type { BtmEvent } from '../../src/state/events.js';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { fixture } from '../helpers.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'btm-history-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Replays a real capture with a clock that moves 5 ms per event, feeding the recorder as the daemon does. */
async function record(file: string, recorder: HistoryRecorder, source = 'src', from: State = initialState(), t0 = 1_700_000_000_000): Promise<State> {
  let state = from;
  let t = t0;
  const emit = (e: BtmEvent): void => { state = reduce(state, e); recorder.observe(e, state); };
  const log = openLogSource({ source, emit, clock: () => (t += 5), info: { via: 'run', pid: 42, uid: 0, user: 'root', command: `nix-build ${file}` } });
  for await (const chunk of createReadStream(fixture(file))) log.push(chunk as Buffer);
  log.end(1, 'eof');
  return state;
}

describe('parseDrvName', () => {
  it('splits as builtins.parseDrvName of Nix 2.8 does', () => {
    // Printed by `nix-instantiate --eval --strict -E 'map builtins.parseDrvName [...]'` with Nix 2.8.
    const nix = [['foo-_1', 'foo', '_1'], ['python3-minimal-3.11.9', 'python3-minimal', '3.11.9'], ['hello-2.12', 'hello', '2.12'],
      ['a-b-c', 'a-b-c', ''], ['foo-', 'foo-', ''], ['x--1', 'x', '-1']];
    for (const [name, pname, version] of nix) expect(parseDrvName(name!)).toEqual({ name, pname, version });
  });
});

describe('schema', () => {
  it('migrates a new file, reopens it, and refuses one written by a newer nix-btm', () => {
    const path = join(dir, 'h.sqlite');
    openHistory(path).close();
    const db = openHistory(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openHistory(path)).toThrow(HistoryError);
    expect(() => openHistory(path)).toThrow(/newer than this nix-btm knows/);
    expect(() => openHistory(path, { readonly: true })).toThrow(/upgrade nix-btm/);
  });

  it('says a corrupt file is corrupt', () => {
    const path = join(dir, 'bad.sqlite');
    writeFileSync(path, Buffer.alloc(8192, 7));
    expect(() => openHistory(path)).toThrow(/is corrupt/);
  });
});

describe('recorder -> store -> queries', () => {
  it('keeps a failed real build: the job, every derivation, phases, outcome', async () => {
    const db = openHistory(join(dir, 'h.sqlite'));
    const store = new HistoryStore(db);
    const recorder = new HistoryRecorder('d1', () => 'hostA');
    const state = await record('log-daemon-root-fail-single.jsonl', recorder);
    const batch = recorder.take(state)!;
    store.writeBatch(batch);
    const q = new HistoryQueries(db);
    const [job] = q.jobs();
    expect(job).toMatchObject({ status: 'failed', user: 'root', host: 'hostA', exitCode: 1 });
    const drvs = q.derivations(job!.id);
    const live = [...state.derivations.values()];
    expect(drvs.map((d) => [d.name, d.status]).sort()).toEqual(live.map((d) => [d.name, d.status]).sort());
    expect(drvs.some((d) => d.status === 'failed')).toBe(true);
    for (const d of drvs) {
      const l = live.find((x) => x.drvPath === d.path)!;
      expect(d.durationMs).toBe(l.startedAt !== null && l.stoppedAt !== null ? l.stoppedAt - l.startedAt : null);
    }
    // Nothing changed: nothing new to write.
    expect(recorder.take(state)).toBeNull();
    db.close();
  });

  it('the same derivations built again by a later job are rows of that job, not overwrites', async () => {
    const db = openHistory(join(dir, 'h.sqlite'));
    const store = new HistoryStore(db);
    const recorder = new HistoryRecorder('d1', () => 'hostA');
    const first = await record('log-daemon-root-dag-success.jsonl', recorder, 'first');
    store.writeBatch(recorder.take(first)!);
    const second = await record('log-daemon-root-dag-success.jsonl', recorder, 'second', first, 1_700_000_600_000);
    store.writeBatch(recorder.take(second)!);
    const q = new HistoryQueries(db);
    const jobs = q.jobs();
    expect(jobs).toHaveLength(2);
    const [a, b] = jobs.map((j) => q.derivations(j.id));
    expect(a!.length).toBe(second.derivations.size);
    expect(b!.map((d) => d.path).sort()).toEqual(a!.map((d) => d.path).sort());
    expect(b!.every((d) => d.status === 'built')).toBe(true);
    db.close();
  });

  it('ETA: median of the last 10 on this host, then other hosts scaled, then other versions', async () => {
    const db = openHistory(join(dir, 'h.sqlite'));
    const store = new HistoryStore(db);
    const job = (key: string) => ({ key, via: 'run', command: 'x', user: 'u', uid: 1, pid: 1, host: 'a', relay: false, status: 'succeeded',
      exitCode: 0, startedAt: 0, stoppedAt: 1, built: 0, failed: 0, cancelled: 0, substituted: 0, planned: 0, errors: 0 });
    const drv = (jobKey: string, i: number, name: string, host: string, ms: number) => ({ jobKey, path: `/nix/store/${String(i).padStart(32, 'a')}-${name}.drv`,
      name, substituted: false, host, status: 'built', reason: null, exitCode: null, startedAt: T0 + i * 1_000_000, stoppedAt: T0 + i * 1_000_000 + ms, durationMs: ms,
      phases: null, peakProcs: null, cpuMs: null, peakRss: null, outputBytes: null, outputs: null });
    const drvs = [];
    const T0 = Date.now() - 100_000_000;
    // hello-2.12 on host a: 12 builds, the two oldest far slower (only the last 10 count).
    for (let i = 0; i < 12; i++) drvs.push(drv(`j${i}`, i, 'hello-2.12', 'a', i < 2 ? 100_000 : 1000 + i));
    // zlib-1.3 only on host b, which builds "common-1" twice as fast as a.
    for (let i = 20; i < 23; i++) drvs.push(drv(`j${i}`, i, 'zlib-1.3', 'b', 3000));
    drvs.push(drv('j30', 30, 'common-1', 'a', 4000), drv('j31', 31, 'common-1', 'b', 2000));
    store.writeBatch({ jobs: [...new Set(drvs.map((d) => d.jobKey))].map(job), drvs });
    const q = new HistoryQueries(db);
    const eta = q.eta(['hello-2.12', 'zlib-1.3', 'hello-2.13', 'nothing-1.0'], 'a');
    expect(eta['hello-2.12']).toEqual({ ms: 1006.5, basis: 'same version, this host', samples: 10 });
    expect(eta['zlib-1.3']).toEqual({ ms: 6000, basis: 'same version, other hosts', samples: 3 });
    expect(eta['hello-2.13']).toMatchObject({ ms: 1006.5, basis: 'other versions, this host' });
    expect(eta['nothing-1.0']).toBeNull();
    db.close();
  });

  it('analytics and retention on recorded rows', async () => {
    const db = openHistory(join(dir, 'h.sqlite'));
    const store = new HistoryStore(db);
    for (const [i, file] of ['log-daemon-root-dag-success.jsonl', 'log-daemon-root-fail-single.jsonl'].entries()) {
      const recorder = new HistoryRecorder(`d${i}`, () => 'hostA');
      store.writeBatch(recorder.take(await record(file, recorder))!);
    }
    const s = stats(db, {}, 1_700_000_000_000 + 86_400_000);
    expect(s.slowest.length).toBeGreaterThan(0);
    expect(s.failureRate.length).toBeGreaterThan(0);
    expect(s.perDay.reduce((n, d) => n + d.builds, 0)).toBe(s.cache.built);
    const before = (db.prepare('SELECT COUNT(*) FROM derivations').pluck().get() as number);
    expect(before).toBeGreaterThan(0);
    // 91 days later every row is past the 90-day default.
    while (pruneStep(db, { maxAgeDays: 90, maxBytes: 2 ** 30, everyMs: 1 }, 1_700_000_000_000 + 91 * 86_400_000));
    expect(db.prepare('SELECT COUNT(*) FROM derivations').pluck().get()).toBe(0);
    expect(db.prepare('SELECT COUNT(*) FROM jobs').pluck().get()).toBe(0);
    db.close();
  });

  it('a reader sees what the writer commits while it keeps writing (WAL)', () => {
    const path = join(dir, 'h.sqlite');
    const w = openHistory(path);
    const store = new HistoryStore(w);
    const r = new HistoryQueries(openHistory(path, { readonly: true }));
    const job = { key: 'k', via: 'run', command: 'nix-build', user: 'u', uid: 1, pid: 1, host: 'a', relay: false, status: 'running',
      exitCode: null, startedAt: 1, stoppedAt: null, built: 0, failed: 0, cancelled: 0, substituted: 0, planned: 0, errors: 0 };
    store.writeBatch({ jobs: [job], drvs: [] });
    const reading = new Database(path, { readonly: true });
    reading.exec('BEGIN');
    reading.prepare('SELECT COUNT(*) FROM jobs').get();
    store.writeBatch({ jobs: [{ ...job, status: 'succeeded', stoppedAt: 2 }], drvs: [] });
    expect(r.jobs()[0]!.status).toBe('succeeded');
    reading.exec('COMMIT');
    reading.close();
    r.db.close();
    w.close();
  });
});

describe('parseQuery (control socket input)', () => {
  it('refuses what is not a history query', () => {
    expect(parseQuery(null)).toMatch(/object/);
    expect(parseQuery({ kind: 'drop table' })).toMatch(/unknown/);
    expect(parseQuery({ kind: 'eta', names: Array(3000).fill('x') })).toMatch(/at most 2000/);
    expect(parseQuery({ kind: 'jobs', sort: 'id; DROP TABLE jobs', user: 5 })).toEqual({ kind: 'jobs' });
    expect(parseQuery({ kind: 'job', id: '1' })).toMatch(/numeric/);
  });
});
