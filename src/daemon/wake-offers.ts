// Wake FIFOs for UIs (the control request `wake`; docs/ring.md, "Waiting"): the ring's writer makes one per asking
// client of the daemon's own user (SO_PEERCRED) in <runtime dir>/wake/, mode 0600, in a directory only the daemon
// may write (0711: nobody lists it). The client waits on it instead of the ring's futex: one wake-up hop, like a
// socket. Never for another user: the holder of a pipe's read end can keep the pipe's mutex, and the daemon's
// write() would sleep on it, unkillable. A FIFO never read fills and is then skipped; one never opened is unlinked
// after 10 s; one its reader closed is dropped at the next wake.
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
      if (ring.wakeFifosOf(peer.uid) >= limits.perUid) {
        return { refused: `uid ${peer.uid} holds ${limits.perUid} wake FIFOs` };
      }
      // Whoever holds a pipe's read end can hold its mutex, and the daemon's write() then sleeps in the kernel,
      // unkillable (splice from the FIFO into a full socket: tests/e2e/wake-fifo.test.ts). Others wait on the futex.
      if (peer.uid !== self) return { refused: 'wake FIFOs are for the daemon\'s own user only (others wait on the ring\'s futex)' };
      const path = join(dir, `${process.pid}-${randomBytes(12).toString('hex')}`);
      try {
        ring.offerWakeFifo(path, OFFER_TIMEOUT_MS);
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
