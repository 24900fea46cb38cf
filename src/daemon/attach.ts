// UIs attached to the daemon: each keeps one control connection open while it runs. It says whether it wants every
// process scanned (the `a` key; the scan reads every /proc entry only while some UI asks), and a UI that started the
// daemon asks on exit to stop it, which is done only when the asker is the daemon's own user, no other UI is attached
// and no build is running (a Nix blocked on a dead log socket is worse than a daemon left running).
import type { Socket } from 'node:net';
import type { State } from '../state/model.js';
import { sendJson } from './json-lines.js';
import type { PeerCred } from './peer.js';
import type { Reply } from './protocol.js';

export type Attachments = {
  /** `{op:'attach', all}`: the connection stays open; a later line with another `all` changes it. */
  attach(socket: Socket, all: unknown): void;
  /** Whether any attached UI wants every process (scan with all = true). */
  wantAll(): boolean;
  count(): number;
  /** `{op:'stop-if-alone'}`: answers whether the daemon stops, and why not. */
  stopIfAlone(socket: Socket, peer: PeerCred | null): void;
};

export type AttachOptions = {
  readonly current: () => State;
  /** The daemon's own uid: only it (or root) may stop the daemon this way. */
  readonly uid: number;
  readonly stop: (why: string) => void;
  /** Called when the wish for every process changes, so the next scan comes at once. */
  readonly changed: () => void;
};

export function createAttachments(opts: AttachOptions): Attachments {
  const wants = new Map<Socket, boolean>();
  return {
    attach(socket, all) {
      const first = !wants.has(socket);
      const before = [...wants.values()].some(Boolean);
      wants.set(socket, all === true);
      if (first) socket.once('close', () => { wants.delete(socket); opts.changed(); });
      if (before !== [...wants.values()].some(Boolean)) opts.changed();
      sendJson(socket, { ok: true, op: 'attach' } satisfies Reply);
    },
    wantAll: () => [...wants.values()].some(Boolean),
    count: () => wants.size,
    stopIfAlone(socket, peer) {
      const refuse = (reason: string): void => { sendJson(socket, { ok: false, op: 'stop-if-alone', reason } satisfies Reply); };
      if (!peer || (peer.uid !== opts.uid && peer.uid !== 0)) return refuse('only the user running the daemon may stop it');
      const others = [...wants.keys()].filter((s) => s !== socket).length;
      if (others > 0) return refuse(`${others} other UI${others === 1 ? ' is' : 's are'} attached`);
      const running = [...opts.current().jobs.values()].filter((j) => j.status === 'running').length;
      if (running > 0) return refuse(`${running} job${running === 1 ? ' is' : 's are'} still running`);
      sendJson(socket, { ok: true, op: 'stop-if-alone' } satisfies Reply);
      opts.stop(`asked by the UI that started it (pid ${peer.pid})`);
    },
  };
}
