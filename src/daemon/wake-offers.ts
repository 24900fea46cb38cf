// Wake FIFOs for UIs (the control request `wake`; docs/ring.md, "Waiting"): the ring's writer makes one per asking
// client in <runtime dir>/wake/, owned by the asker's uid (SO_PEERCRED), readable by it alone and writable by the
// daemon's group alone (0420), in a directory only the daemon may write (0711: nobody lists it). The client waits
// on it instead of the ring's futex: one wake-up hop,
// like a socket. A client's end is all it can do anything with; a FIFO it never reads fills and is then skipped
// (the writes never block); one it never opens is unlinked after 10 s; one it closes is dropped at the next wake.
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import type { PeerCred } from './peer.js';
import type { WakeFifoWriter } from './publisher.js';

export type WakeOffers = {
  /** A FIFO for this peer, or why not (the client then waits on the futex, as before). */
  offer(peer: PeerCred | null): { readonly path: string } | { readonly refused: string };
  /** FIFOs offered and not yet opened, and those adopted whose reader still holds them. */
  readonly counts: { readonly offered: number; readonly adopted: number };
  /** Removes the directory and whatever is still in it. */
  close(): void;
};

export type WakeLimits = {
  /** Offered plus adopted FIFOs one non-root uid may hold (a UI holds one; two while it re-attaches). */
  readonly perUid: number;
  /** All together (each adopted one is a descriptor of the daemon's). */
  readonly total: number;
};

export const DEFAULT_WAKE_LIMITS: WakeLimits = { perUid: 16, total: 512 };

const OFFER_TIMEOUT_MS = 10_000;

export function wakeOffers(runtimeDir: string, writer: () => WakeFifoWriter, limits: WakeLimits = DEFAULT_WAKE_LIMITS): WakeOffers {
  const dir = join(runtimeDir, 'wake');
  // Stale FIFOs of a daemon that died go with it; the directory is made afresh, so nothing in it is anyone else's.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o711 });
  const st = lstatSync(dir);
  const self = process.getuid?.() ?? 0;
  if (!st.isDirectory() || st.uid !== self || (st.mode & 0o022) !== 0) throw new Error(`cannot make a private ${dir}`);
  return {
    offer(peer) {
      if (peer === null) return { refused: 'the peer is unknown (no SO_PEERCRED)' };
      const ring = writer();
      const counts = ring.wakeFifos;
      if (counts.offered + counts.adopted >= limits.total) return { refused: `${limits.total} wake FIFOs are open` };
      if (peer.uid !== 0 && ring.wakeFifosOf(peer.uid) >= limits.perUid) {
        return { refused: `uid ${peer.uid} holds ${limits.perUid} wake FIFOs` };
      }
      // Another user's FIFO needs a chown, which only root may do: a daemon of one user serves that user only.
      if (peer.uid !== self && self !== 0) return { refused: 'this daemon cannot give a FIFO to another user' };
      const path = join(dir, `${process.pid}-${randomBytes(12).toString('hex')}`);
      try {
        ring.offerWakeFifo(path, { uid: peer.uid }, OFFER_TIMEOUT_MS);
      } catch (err) {
        return { refused: `cannot make a wake FIFO: ${(err as Error).message}` };
      }
      return { path };
    },
    get counts() {
      return writer().wakeFifos;
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
