// UIs attached to the daemon: each keeps one control connection open while it runs. It says whether it wants every
// process scanned (the `a` key), and a UI that started the daemon asks on exit to stop it.
// Rules (docs/security.md [authz]): the every-process scan publishes into the ring every group member reads, so a
// non-root peer's wish adds only processes of its own uid (what `ps` would show it anyway of itself); only root's
// wish lists everyone's. Stopping is done only for the daemon's own user (or root), when no other UI is attached,
// no feed is open and no build runs (a Nix blocked on a dead log socket is worse than a daemon left running).
import type { State } from '../state/model.js';
import type { ControlConnection } from './control-conn.js';
import type { PeerCred } from './peer.js';

/** Whose other processes an every-process scan lists: everyone's (root asked) and/or these uids'. */
export type AllScope = { readonly everyone: boolean; readonly uids: ReadonlySet<number> };

export type Attachments = {
  /** `{op:'attach', all}`: the connection stays attached until it closes; a later line with another `all` changes it. */
  attach(conn: ControlConnection, peer: PeerCred | null, all: boolean): void;
  /** The connection became a `nix-btm run` feed: someone else uses the daemon until it closes. */
  feedOpened(conn: ControlConnection): void;
  /** The connection closed (attached or a feed). */
  closed(conn: ControlConnection): void;
  /** Whose processes the every-process scan lists now; null: no UI wants it (the Nix forest only). */
  scope(): AllScope | null;
  count(): number;
  /** `{op:'stop-if-alone'}`: answers whether the daemon stops, and why not. */
  stopIfAlone(conn: ControlConnection, peer: PeerCred | null): void;
};

export type AttachOptions = {
  readonly current: () => State;
  /** The daemon's own uid: only it (or root) may stop the daemon this way. */
  readonly uid: number;
  readonly stop: (why: string) => void;
  /** Called when the every-process scope changes, so the next scan comes at once. */
  readonly changed: () => void;
};

const STREAMED: ReadonlySet<string> = new Set(['socket', 'run', 'feed']);

type Wish = { readonly uid: number | null; readonly all: boolean };

export function createAttachments(opts: AttachOptions): Attachments {
  const wishes = new Map<ControlConnection, Wish>();
  const feeds = new Set<ControlConnection>();
  const key = (): string => {
    const s = scopeOf(wishes);
    return s === null ? '' : `${s.everyone}:${[...s.uids].sort().join(',')}`;
  };
  return {
    attach(conn, peer, all) {
      const before = key();
      wishes.set(conn, { uid: peer?.uid ?? null, all });
      if (before !== key()) opts.changed();
      conn.send({ ok: true, op: 'attach', everyone: all && peer?.uid === 0 });
    },
    feedOpened: (conn) => { feeds.add(conn); },
    closed(conn) {
      feeds.delete(conn);
      const before = key();
      if (wishes.delete(conn) && before !== key()) opts.changed();
    },
    scope: () => scopeOf(wishes),
    count: () => wishes.size,
    stopIfAlone(conn, peer) {
      const refuse = (reason: string): void => { conn.send({ ok: false, op: 'stop-if-alone', reason }); };
      if (!peer || (peer.uid !== opts.uid && peer.uid !== 0)) return refuse('only the user running the daemon may stop it');
      const others = [...wishes.keys()].filter((c) => c !== conn).length;
      if (others > 0) return refuse(`${others} other UI${others === 1 ? ' is' : 's are'} attached`);
      if (feeds.size > 0) return refuse(`${feeds.size} nix-btm run feed${feeds.size === 1 ? ' is' : 's are'} open`);
      // Jobs that write to the daemon (json-log-path, `nix-btm run`): a stopped daemon would block their Nix. Builds
      // only seen in /proc (`local`) or read from a file do not depend on it.
      const running = [...opts.current().jobs.values()].filter((j) => j.status === 'running' && STREAMED.has(j.info.via)).length;
      if (running > 0) return refuse(`${running} job${running === 1 ? ' is' : 's are'} still running`);
      conn.send({ ok: true, op: 'stop-if-alone' });
      opts.stop(`asked by the UI that started it (pid ${peer.pid})`);
    },
  };
}

function scopeOf(wishes: ReadonlyMap<ControlConnection, Wish>): AllScope | null {
  let everyone = false;
  const uids = new Set<number>();
  for (const w of wishes.values()) {
    if (!w.all || w.uid === null) continue;
    if (w.uid === 0) everyone = true;
    else uids.add(w.uid);
  }
  return everyone || uids.size > 0 ? { everyone, uids } : null;
}
