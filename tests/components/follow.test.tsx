// `f` follows a process; once it exits the screen says so (mode and status line), instead of "following".
process.env.TZ = 'UTC';
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import App from '../../src/components/App.js';
import { recordingController } from '../../src/ui/feed.js';
import { createStore } from '../../src/ui/store.js';
import { initialUi } from '../../src/ui/ui-state.js';
import { stateAt, tick } from '../ui/helpers.js';

afterEach(() => cleanup());

describe('follow', () => {
  it('says the followed process ended once it is gone, and following while it lives', async () => {
    const state = stateAt(3000);
    const live = state.processes.find((p) => p.role === 'builder')!;
    const store = createStore({ frameMs: 0, state, status: { kind: 'demo', detail: 'recorded real build' } });
    const app = render(<App store={store} controller={recordingController('demo')} size={{ columns: 120, rows: 30 }} onQuit={() => {}}
      initial={{ ...initialUi, view: 'process', follow: live.pid }} />);
    await tick(50);
    expect(app.lastFrame()).toContain(`following ${live.pid}`);
    store.apply([{ kind: 'proc-scan', at: state.now, processes: state.processes.filter((p) => p.pid !== live.pid), host: state.host }]);
    store.flush();
    await tick(50);
    const frame = app.lastFrame() ?? '';
    expect(frame).toContain(`process ${live.pid} ended`);
    expect(frame).toContain(`process ${live.pid} has ended (f: stop following)`);
    expect(frame).not.toContain(`following ${live.pid}`);
  });
});
