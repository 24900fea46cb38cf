// The store of a UI watching several machines: one reduced State per host, so events of two hosts never share ids
// or state (each daemon numbers its own sources, pids and sequence). Views read `hosts`; `state` is the first host's.
import type { BtmEvent } from '../state/events.js';
import type { State } from '../state/model.js';
import { initialState, reduce } from '../state/reducer.js';
import type { FeedStatus } from './feed.js';
import { freezeState, type Shown, type Store } from './store.js';
import { frameNotifier } from './frame-notifier.js';

export type HostLink = 'connected' | 'connecting' | 'daemon-down' | 'unreachable' | 'local';

export type HostView = {
  readonly name: string;
  readonly state: State;
  readonly link: HostLink;
  /** One line: the daemon, or why the host is not live and when it is tried again. */
  readonly detail: string;
  /** Build slots, when known (the machines file's max-jobs). */
  readonly maxJobs: number | null;
  /** How Nix may name this machine in a remote build (`user@host`, `host`): ties an offloaded build to it. */
  readonly aliases?: readonly string[];
};

export type HostSinks = {
  readonly reset: (state: State) => void;
  readonly events: (events: readonly BtmEvent[]) => void;
  readonly link: (link: HostLink, detail: string) => void;
};

export type FleetStore = Store & { readonly host: (name: string) => HostSinks };

export function createFleetStore(hosts: readonly { name: string; maxJobs: number | null; aliases?: readonly string[] }[], opts: { frameMs?: number; status?: FeedStatus } = {}): FleetStore {
  const frameMs = opts.frameMs ?? 33;
  const live = new Map(hosts.map((h): [string, HostView] => [h.name, { name: h.name, state: initialState(), link: 'connecting', detail: 'connecting…', maxJobs: h.maxJobs, aliases: h.aliases }]));
  const views = (): HostView[] => [...live.values()];
  const shown = (): readonly HostView[] => (snapshot.paused ? snapshot.hosts ?? [] : views());
  let snapshot: Shown = { state: views()[0]?.state ?? initialState(), version: 0, paused: false, unseen: 0,
    status: opts.status ?? { kind: 'connected', detail: `${hosts.length} hosts` }, hosts: views() };
  const frames = frameNotifier(frameMs, () => {
    const hs = shown();
    snapshot = { ...snapshot, hosts: hs, state: hs[0]?.state ?? snapshot.state, version: snapshot.version + 1 };
  });
  const changed = frames.changed;
  const update = (name: string, f: (h: HostView) => HostView, unseen: number): void => {
    const h = live.get(name);
    if (!h) return;
    live.set(name, f(h));
    if (snapshot.paused) snapshot = { ...snapshot, unseen: snapshot.unseen + unseen };
    changed();
  };
  return {
    getSnapshot: () => snapshot,
    subscribe: frames.subscribe,
    apply: (events) => { const first = views()[0]; if (first) fleetSinks(first.name).events(events); },
    reset: (state) => { const first = views()[0]; if (first) fleetSinks(first.name).reset(state); },
    setStatus: (status) => { snapshot = { ...snapshot, status }; changed(); },
    togglePause: () => {
      snapshot = snapshot.paused
        ? { ...snapshot, paused: false, unseen: 0, hosts: views() }
        : { ...snapshot, paused: true, hosts: views().map((h) => ({ ...h, state: freezeState(h.state) })) };
      changed();
    },
    flush: frames.flush,
    dispose: frames.dispose,
    host: (name) => fleetSinks(name),
  };
  function fleetSinks(name: string): HostSinks {
    return {
      // Reduced in place like the single-host store; the host's entry is replaced so views see the change.
      events: (events) => {
        if (events.length === 0) return;
        update(name, (h) => { let s = h.state; for (const e of events) s = reduce(s, e); return { ...h, state: s }; }, events.length);
      },
      reset: (state) => update(name, (h) => ({ ...h, state }), 1),
      link: (link, detail) => update(name, (h) => ({ ...h, link, detail }), 0),
    };
  }
}
