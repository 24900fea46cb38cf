// Issue 15 in the dashboard: `w` in Eagle Eye opens the selected job's build pane, the widget `nix-btm run` draws,
// from the same state (the recorded real build, 3 s in); `w` again closes it.
process.env.TZ = 'UTC';
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import App from '../../src/components/App.js';
import { recordingController } from '../../src/ui/feed.js';
import { createStore } from '../../src/ui/store.js';
import { actionFor } from '../../src/ui/keymap.js';
import { widgetLines, lineText } from '../../src/widget/frame.js';
import { stateAt, tick } from '../ui/helpers.js';

afterEach(() => cleanup());

describe('Eagle Eye build pane', () => {
  it('w shows the selected job\'s widget below the tree, as run draws it, and w hides it', async () => {
    const state = stateAt(3000);
    const store = createStore({ frameMs: 0, state, status: { kind: 'demo', detail: 'recorded real build' } });
    const app = render(<App store={store} controller={recordingController('demo')} size={{ columns: 100, rows: 40 }} onQuit={() => undefined} />);
    const press = async (...keys: string[]): Promise<string> => {
      for (const k of keys) { app.stdin.write(k); await tick(60); }
      return app.lastFrame() ?? '';
    };
    expect(actionFor('w', 'eagle')).toBe('widget');
    let frame = await press('3');
    expect(frame).not.toContain('Dependency Graph');
    frame = await press('w');
    const lines = frame.split('\n');
    const head = lines.findIndex((l) => l.startsWith('┏━ Dependency Graph'));
    expect(head).toBeGreaterThan(5);
    const sum = lines.findIndex((l) => l.startsWith('┗━ ∑'));
    expect(sum).toBeGreaterThan(head);
    // The same lines the run widget computes for this job and this room (the pane has 14 rows at 40 rows).
    const job = [...state.jobs.values()][0]!;
    const want = widgetLines(state, [job.source], { now: state.now, rows: 14, columns: 100, eta: null, spinner: false }).map(lineText);
    expect(lines.slice(head, sum + 1).map((l) => l.trimEnd())).toEqual(want.map((l) => l.trimEnd()));
    expect(lines[sum]).toMatch(/⏵ 4 │ ✔ 2\/16 │ ⏸ 10/);
    // The table above keeps its own rows: the job row is still there.
    expect(frame).toContain('nix-build dag.nix');
    frame = await press('w');
    expect(frame).not.toContain('Dependency Graph');
  });
});
