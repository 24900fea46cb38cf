// A daemon stopped or killed mid-build leaves its running jobs' rows running: the next daemon's history worker
// (a real worker thread, a real SQLite file) ends them as interrupted, and touches nothing else.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultRetention } from '../../src/history/retention.js';
import type { JobRow } from '../../src/history/rows.js';
import { openHistory } from '../../src/history/schema.js';
import { HistoryStore } from '../../src/history/store.js';
import { HistoryWriter } from '../../src/history/writer.js';
import { initialState } from '../../src/state/reducer.js';

const dir = mkdtempSync(join(tmpdir(), 'nix-btm-orphans-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Above any pid_max: no process has it, so the daemon of that key is gone.
const GONE = 2 ** 31 - 2;
// Recent (older rows would be the retention's to prune).
const T = Date.now() - 60_000;
const job = (key: string, status: string): JobRow => ({ key, via: 'socket', command: 'nix-daemon 4242', user: 'root', uid: 0,
  pid: 4242, host: 'a', relay: false, status, exitCode: null, startedAt: T, stoppedAt: status === 'running' ? null : T + 1000,
  built: 0, failed: 0, cancelled: 0, substituted: 0, planned: 3, errors: 0 });

describe('history: jobs a stopped daemon left running', () => {
  it('end as interrupted when the next daemon opens the history; jobs of this or a live daemon stay as they are', async () => {
    const path = join(dir, 'h.sqlite');
    const db = openHistory(path);
    new HistoryStore(db).writeBatch({ jobs: [
      job(`1700000000000.${GONE}:nix:10:1`, 'running'),
      job(`1700000000000.${GONE}:nix:10:2`, 'succeeded'),
      job(`1700000000000.${process.pid}:nix:11:1`, 'running'), // a daemon still running (this process)
      job(`1700000000001.${GONE}:nix:12:1`, 'running'),
      job('nom:some-import', 'running'), // not a daemon's key: left alone
    ], drvs: [] });
    db.close();
    const notes: string[] = [];
    const ours = `1700000009999.${process.pid}`;
    const writer = new HistoryWriter({ path, retention: defaultRetention, nomCsv: null, daemonKey: ours,
      current: initialState, log: (l) => notes.push(l) });
    try {
      expect((await writer.query({ kind: 'jobs' })).ok).toBe(true);
    } finally {
      await writer.close();
    }
    const read = new Database(path, { readonly: true });
    const status = Object.fromEntries((read.prepare('SELECT key, status FROM jobs').all() as { key: string; status: string }[]).map((r) => [r.key, r.status]));
    read.close();
    expect(status).toEqual({
      [`1700000000000.${GONE}:nix:10:1`]: 'interrupted',
      [`1700000000000.${GONE}:nix:10:2`]: 'succeeded',
      [`1700000000000.${process.pid}:nix:11:1`]: 'running',
      [`1700000000001.${GONE}:nix:12:1`]: 'interrupted',
      'nom:some-import': 'running',
    });
    expect(notes).toContain('history: 2 jobs a stopped daemon left running are marked interrupted');
  });
});
