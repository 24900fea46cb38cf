// Which job built what, in the history: real Nix 2.8 captures of two clients on the same derivations
// (tests/fixtures/captures/log-daemon-root-two-clients-*): client 1 built all 13; client 2, started a second later on
// a subset, started no build at all (it waited for locks: BuildWaiting, no Build start). Its derivations end built,
// by client 1: client 2's row must not count them as built by it, or the history holds 20 builds where Nix ran 13.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryRecorder } from '../../src/history/recorder.js';
import { HistoryQueries } from '../../src/history/queries.js';
import { openHistory } from '../../src/history/schema.js';
import { HistoryStore } from '../../src/history/store.js';
import { openLogSource } from '../../src/ingest/log-source.js';
import type { BtmEvent } from '../../src/state/events.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { root } from '../helpers.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'btm-starters-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('history: who built it', () => {
  it('a job that only waited for another job\'s builds records none built by it; the other records all 13', () => {
    const db = openHistory(join(dir, 'h.sqlite'));
    const store = new HistoryStore(db);
    const recorder = new HistoryRecorder('d1', () => 'hostA');
    let state = initialState();
    let t = 1_700_000_000_000;
    const emit = (e: BtmEvent): void => { state = reduce(state, e); recorder.observe(e, state); };
    const files = ['log-daemon-root-two-clients-1-release', 'log-daemon-root-two-clients-2-bundle-tools'];
    const sources = files.map((f, i) => openLogSource({ source: `run:${100 + i}:${i + 1}`, emit, clock: () => (t += 5),
      info: { via: 'run', pid: 100 + i, uid: 0, user: 'root', command: `nix-build ${f}` } }));
    files.forEach((f, i) => sources[i]!.push(readFileSync(join(root, 'tests/fixtures/captures', `${f}.jsonl`))));
    sources.forEach((s) => s.end(0, 'eof'));
    store.writeBatch(recorder.take(state)!);
    const jobs = new HistoryQueries(db).jobs().sort((a, b) => a.command.localeCompare(b.command));
    expect(jobs.map((j) => [j.status, j.built])).toEqual([['succeeded', 13], ['succeeded', 0]]);
    db.close();
  });
});
