import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/ui/store.js';
import { recording, tick } from './helpers.js';

describe('store', () => {
  it('reduces every event but notifies at most once per frame', async () => {
    const store = createStore({ frameMs: 20 });
    let notified = 0;
    store.subscribe(() => notified++);
    const events = recording().events;
    for (const e of events.slice(0, 500)) store.apply([e]);
    expect(notified).toBe(0);
    expect(store.getSnapshot().version).toBe(0);
    await tick(40);
    expect(notified).toBe(1);
    expect(store.getSnapshot().state.eventCount).toBe(500);
    store.dispose();
  });

  it('freezes what is shown while paused and keeps reducing', () => {
    const store = createStore({ frameMs: 0 });
    const events = recording().events;
    store.apply(events.slice(0, 1000));
    store.togglePause();
    const frozen = store.getSnapshot().state;
    const jobs = frozen.jobs.get([...frozen.jobs.keys()][0]!);
    store.apply(events.slice(1000));
    const shown = store.getSnapshot();
    expect(shown.paused).toBe(true);
    expect(shown.state).toBe(frozen);
    expect(shown.state.jobs.get(jobs!.source)).toBe(jobs);
    expect(shown.unseen).toBe(events.length - 1000);
    store.togglePause();
    expect(store.getSnapshot().state.eventCount).toBe(events.length);
    expect(store.getSnapshot().unseen).toBe(0);
  });
});
