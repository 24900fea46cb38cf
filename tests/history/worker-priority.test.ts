// The history's SQLite thread yields the CPU to the daemon's live path: it runs at nice 10, that thread only.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initialState } from '../../src/state/reducer.js';
import { HistoryWriter } from '../../src/history/writer.js';
import { defaultRetention } from '../../src/history/retention.js';

const dir = mkdtempSync(join(tmpdir(), 'nix-btm-hprio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Nice value of each thread of this process (field 19 of /proc/self/task/TID/stat). */
function niceOfThreads(): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      out.set(Number(t), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[16]));
    } catch { /* the thread ended */ }
  }
  return out;
}

describe('history worker priority', () => {
  it('runs the database thread at nice 10 and leaves every other thread of the daemon as it was', async () => {
    const before = niceOfThreads();
    const writer = new HistoryWriter({ path: join(dir, 'h.sqlite'), retention: defaultRetention, nomCsv: null, daemonKey: 'k',
      current: initialState, log: () => undefined });
    try {
      // A query is answered by the worker: it has started (and set its priority) by then.
      expect((await writer.query({ kind: 'info' })).ok).toBe(true);
      const after = niceOfThreads();
      const added = [...after].filter(([tid]) => !before.has(tid));
      expect(added.some(([, nice]) => nice === 10)).toBe(true);
      for (const [tid, nice] of before) if (after.has(tid)) expect(after.get(tid)).toBe(nice);
    } finally {
      await writer.close();
    }
  });
});
