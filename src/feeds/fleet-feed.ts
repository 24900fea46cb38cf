// Feeds a fleet store: this machine's daemon (when watched) and one ssh connection per remote host; the controller
// sends a signal to the daemon of the host whose row it came from, which decides (src/remote/proxy.ts).
import { connectHost, type ConnectionOptions, type HostConnection, type HostStatus } from '../remote/connection.js';
import type { HostSpec } from '../remote/hosts.js';
import { sanitize } from '../state/text.js';
import type { Controller, Feed } from '../ui/feed.js';
import type { FleetStore, HostLink } from '../ui/fleet-store.js';
import { remoteHistory, type BadAnswers, type FleetHistory } from '../ui/fleet-history.js';
import type { HistoryAsk } from '../ui/use-eta.js';

export type FleetOptions = {
  readonly remotes: readonly HostSpec[];
  /** This machine, shown as `name`, fed by its own daemon; null: remote hosts only. */
  readonly local: { readonly name: string; readonly feed: Feed; readonly controller: Controller } | null;
  /** How to run ssh (tests: a config of their own through NIX_SSHOPTS, quick reconnects). */
  readonly connection?: ConnectionOptions;
};

export type Fleet = {
  readonly start: (store: FleetStore) => () => void;
  readonly controller: Controller;
  /** Bad history answers per remote host (counted; each also said in the view). */
  readonly badHistory: BadAnswers;
};

const LINK: Readonly<Record<HostStatus['kind'], HostLink>> = {
  connected: 'connected', connecting: 'connecting', 'daemon-down': 'daemon-down', unreachable: 'unreachable',
};

export function fleet(opts: FleetOptions): Fleet {
  const conns = new Map<string, HostConnection>();
  const local = opts.local;
  const perHost = new Map<string, Controller>();
  const badHistory: BadAnswers = new Map();
  const histories = new Map<string, HistoryAsk>();
  const fleetHistory: FleetHistory = {
    hosts: () => [...(local ? [local.name] : []), ...opts.remotes.map((r) => r.name)],
    ask: async (host, q) => {
      if (host === local?.name) return local.controller.history ? local.controller.history(q) : { ok: false, reason: 'this daemon keeps no history' };
      const conn = conns.get(host);
      if (!conn) return { ok: false, reason: `${host} is not watched` };
      let ask = histories.get(host);
      if (!ask) histories.set(host, (ask = remoteHistory(host, conn.history, badHistory)));
      return ask(q);
    },
  };
  const controller: Controller = {
    signal: async (req) => {
      const conn = req.host !== undefined && req.host !== local?.name ? conns.get(req.host) : undefined;
      if (!conn) return local ? local.controller.signal(req) : { ok: false, reason: 'no host for this row' };
      const r = await conn.signal(req);
      return r.ok ? { ok: true } : { ok: false, reason: `${req.host}: ${r.reason ?? 'refused'}` };
    },
    // One controller per host, kept: views re-ask a builder's environment when their controller changes.
    forHost: (host) => {
      const conn = host !== local?.name ? conns.get(host) : undefined;
      if (!conn) return local?.controller ?? null;
      let c = perHost.get(host);
      if (!c) perHost.set(host, (c = {
        signal: controller.signal,
        environ: async (pid, startedAt) => {
          const r = await conn.environ(pid, startedAt);
          return r.ok && r.environ ? { ok: true, environ: r.environ } : { ok: false, reason: r.reason ?? 'refused' };
        },
      }));
      return c;
    },
    history: local?.controller.history,
    fleetHistory,
  };
  return {
    controller,
    badHistory,
    start: (store) => {
      const stops: (() => void)[] = [];
      if (local) {
        const sinks = store.host(local.name);
        stops.push(local.feed.start({ events: sinks.events, reset: sinks.reset,
          status: (s) => sinks.link(s.kind === 'reconnecting' ? 'daemon-down' : 'local', s.detail) }));
      }
      for (const spec of opts.remotes) {
        const sinks = store.host(spec.name);
        const conn = connectHost(spec, {
          reset: sinks.reset, events: sinks.events,
          status: (s) => sinks.link(LINK[s.kind], sanitize(s.kind === 'unreachable'
            ? `${s.detail} (retry in ${Math.max(0, Math.round((s.retryAt - Date.now()) / 1000))} s)` : s.detail)),
        }, opts.connection);
        conns.set(spec.name, conn);
        stops.push(conn.stop);
      }
      return () => { for (const s of stops) s(); };
    },
  };
}
