// The UI's data store: every event is reduced as it arrives, subscribers hear of it at most once per frame
// (gemini-cli batches on a timer the same way). Pausing freezes what is shown; collection and reduction go on.
import type { BtmEvent } from '../state/events.js';
import type { State } from '../state/model.js';
import { freezeFields } from '../state/fields.js';
import { initialState, reduce } from '../state/reducer.js';
import type { FeedStatus } from './feed.js';
import type { HostView } from './fleet-store.js';
import { frameNotifier } from './frame-notifier.js';

/** What views read: one immutable object per notification. */
export type Shown = {
  /** The state shown: the live one, or a frozen copy while paused. */
  readonly state: State;
  /** Bumped on every notification. */
  readonly version: number;
  readonly paused: boolean;
  /** Events reduced while paused, not yet shown. */
  readonly unseen: number;
  readonly status: FeedStatus;
  /** Set when watching several machines (src/ui/fleet-store.ts): one state per host. */
  readonly hosts?: readonly HostView[];
};

export type Store = {
  readonly getSnapshot: () => Shown;
  readonly subscribe: (listener: () => void) => () => void;
  readonly apply: (events: readonly BtmEvent[]) => void;
  /** Starts again from a snapshot of the daemon's state (first connection, lapped, daemon restarted). */
  readonly reset: (state: State) => void;
  readonly setStatus: (status: FeedStatus) => void;
  readonly togglePause: () => void;
  /** Notifies now if anything changed (tests, the end of a feed). */
  readonly flush: () => void;
  readonly dispose: () => void;
};

export type StoreOptions = {
  /** Longest time between an event and the frame showing it; 0 notifies synchronously. */
  readonly frameMs?: number;
  readonly state?: State;
  readonly status?: FeedStatus;
};

/** Copies the containers the reducer updates in place (which they are: src/state/fields.ts); entities are shared. */
export function freezeState(s: State): State {
  return freezeFields(s);
}

export function createStore(opts: StoreOptions = {}): Store {
  const frameMs = opts.frameMs ?? 33;
  let live = opts.state ?? initialState();
  let snapshot: Shown = { state: live, version: 0, paused: false, unseen: 0, status: opts.status ?? { kind: 'none', detail: '' } };
  const frames = frameNotifier(frameMs, () => {
    const state = snapshot.paused ? snapshot.state : live;
    snapshot = { ...snapshot, state, version: snapshot.version + 1 };
  });
  const changed = frames.changed;
  return {
    getSnapshot: () => snapshot,
    subscribe: frames.subscribe,
    apply: (events) => {
      if (events.length === 0) return;
      for (const e of events) live = reduce(live, e);
      if (snapshot.paused) snapshot = { ...snapshot, unseen: snapshot.unseen + events.length };
      changed();
    },
    reset: (state) => {
      live = state;
      if (snapshot.paused) snapshot = { ...snapshot, unseen: snapshot.unseen + 1 };
      changed();
    },
    setStatus: (status) => { snapshot = { ...snapshot, status }; changed(); },
    togglePause: () => {
      snapshot = snapshot.paused
        ? { ...snapshot, paused: false, unseen: 0, state: live }
        : { ...snapshot, paused: true, state: freezeState(live) };
      changed();
    },
    flush: frames.flush,
    dispose: frames.dispose,
  };
}
