// The History view and the LEFT column in ink-testing-library, on a real history: the demo's real capture recorded
// by the real recorder into SQLite, read through the same file source `nix-btm --history PATH` uses.
process.env.TZ = 'UTC';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import React from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import App from '../../src/components/App.js';
import { recordingController, type Controller } from '../../src/ui/feed.js';
import { createStore } from '../../src/ui/store.js';
import { HistoryRecorder } from '../../src/history/recorder.js';
import { openHistory } from '../../src/history/schema.js';
import { HistoryStore } from '../../src/history/store.js';
import { fileSource, type HistorySource } from '../../src/history/source.js';
import { recording, settled, stateAt } from '../ui/helpers.js';
import { initialState, reduce } from '../../src/state/reducer.js';

let dir: string;
let source: HistorySource;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'btm-hview-'));
  const path = join(dir, 'h.sqlite');
  const db = openHistory(path);
  const store = new HistoryStore(db);
  // The whole recorded build, as the daemon would have recorded it: its durations become the next run's ETAs.
  const recorder = new HistoryRecorder('demo', () => 'recorded-host');
  let state = initialState();
  for (const e of recording().events) { state = reduce(state, e); recorder.observe(e, state); }
  store.writeBatch(recorder.take(state)!);
  db.close();
  source = fileSource(path);
});
afterAll(() => { source.close(); rmSync(dir, { recursive: true, force: true }); });
afterEach(() => cleanup());

function mount(ms: number, size = { columns: 120, rows: 30 }) {
  const controller: Controller = { ...recordingController('demo'), history: source.ask };
  const store = createStore({ frameMs: 0, state: stateAt(ms), status: { kind: 'demo', detail: 'recorded real build' } });
  const app = render(<App store={store} controller={controller} size={size} onQuit={() => undefined} />);
  const press = async (...keys: string[]): Promise<string> => {
    for (const k of keys) { const before = app.frames.length; app.stdin.write(k); await settled(app, before); }
    return app.lastFrame() ?? '';
  };
  return { press };
}

const until = async (press: () => Promise<string>, test: (f: string) => boolean): Promise<string> => {
  for (let i = 0; i < 150; i++) { const f = await press(); if (test(f)) return f; }
  throw new Error(`never: last frame\n${await press()}`);
};

describe('History view', () => {
  it('lists the past job, opens its derivations, switches to analytics', async () => {
    const { press } = mount(3000);
    const jobs = await until(() => press('5'), (f) => f.includes('nix-build dag.nix'));
    expect(jobs).toContain('5 History');
    expect(jobs).toMatch(/succeeded\s+\S+\s+16\s+0\s+0 nix-build dag.nix/);
    const drvs = await until(() => press('\r'), (f) => /job \d+: 16 derivations/.test(f));
    expect(drvs).toContain('openssl-3.0.13');
    await until(() => press(), (f) => /builds · last .* median/.test(f) && /[▁▂▃▄▅▆▇█]/.test(f));
    const stats = await until(() => press('m'), (f) => f.includes('Slowest derivations'));
    expect(stats).toContain('Build time per day (UTC)');
    expect(stats).toContain('16 built');
    await until(() => press('m'), (f) => f.includes('past jobs') && f.includes('nix-build dag.nix'));
  });

  it('filters by key:value words and says what it cannot read', async () => {
    const { press } = mount(3000);
    await until(() => press('5'), (f) => f.includes('nix-build dag.nix'));
    const none = await until(() => press('/', ...'status:failed', '\r'), (f) => f.includes('nothing matches') || f.includes('no jobs'));
    expect(none).not.toContain('nix-build dag.nix');
    const bad = await until(() => press('/', '\x7f'.repeat(13), ...'since:soon', '\r'), (f) => f.includes('is not a time'));
    expect(bad).toContain('since:soon is not a time');
  });

  it('LEFT is worked out for rows scrolled into view, and a search (F3) finds a row by its LEFT cell alone', async () => {
    // 14 rows: the Jobs view's 17 rows do not fit, LEFT is drawn for the window only (App, eta-column.ts leftOf).
    const { press } = mount(3000, { columns: 100, rows: 14 });
    const first = await until(() => press('4'), (f) => /LEFT/.test(f) && /~\d/.test(f));
    const lefts = (f: string): string[] => f.split('\n').filter((l) => /[⏸⏵✔]/.test(l)).map((l) => /(~\S+)\s*$/.exec(l)?.[1] ?? '');
    expect(lefts(first).some((c) => c !== '')).toBe(true);
    // The last rows, reached with End: their LEFT cells are there too.
    const end = await press('\x1b[F');
    expect(end).toMatch(/17\/17/);
    const shown = lefts(end).filter((c) => c !== '');
    expect(shown.length).toBeGreaterThan(0);
    // Back to the top, then search for a LEFT value of a row below the window: no other cell holds "~".
    const target = shown[shown.length - 1]!;
    await press('\x1b[H');
    const found = await press('\x1bOR', ...target, '\r');
    const selected = found.split('\n').find((l) => l.startsWith('›'));
    expect(selected, found).toContain(target);
  });

  it('the LEFT column counts down a running build from its recorded duration', async () => {
    const { press } = mount(3000);
    const frame = await until(() => press('2'), (f) => /LEFT/.test(f) && /[~+]\d/.test(f));
    const rows = frame.split('\n').filter((l) => /nixbld\d/.test(l));
    expect(rows.length).toBeGreaterThan(0);
    for (const line of rows) expect(line).toMatch(/[~+]\d+(\.\d)?s\s*$/);
  });
});
