// Versions of what crosses between the daemon and its clients, and their negotiation in the control socket's hello:
// a client and a daemon of different versions get a clear error instead of misreading each other.
import { EVENT_VERSION } from '../state/events.js';
import { SNAPSHOT_VERSION } from '../state/snapshot.js';

/**
 * The control socket's messages (src/protocol/control.ts) and the ring's record kinds. 2: ring records are
 * validated events, hello negotiates. 3: a `nix` event may be a record of the Nix line it was decoded from
 * (nix-line.ts), which the client decodes.
 */
export const PROTOCOL_VERSION = 3;
export { EVENT_VERSION, SNAPSHOT_VERSION };

/** What a client says in hello, and what the daemon answers with. */
export type Versions = { readonly version: number; readonly eventVersion: number; readonly snapshotVersion: number };

export const OUR_VERSIONS: Versions = { version: PROTOCOL_VERSION, eventVersion: EVENT_VERSION, snapshotVersion: SNAPSHOT_VERSION };

/** The versions a hello (request or reply) names, or undefined where a peer of an older protocol left one out. */
export function versionsOf(msg: Readonly<Record<string, unknown>>): Partial<Record<keyof Versions, unknown>> {
  return { version: msg.version, eventVersion: msg.eventVersion, snapshotVersion: msg.snapshotVersion };
}

/**
 * null when the other side speaks our versions, else the sentence for the user (`who` is "this daemon" on the
 * daemon's side, "the daemon" on a client's). Every version must match: events and snapshots are the state itself.
 */
export function versionMismatch(theirs: Partial<Record<keyof Versions, unknown>>, who: 'the daemon' | 'this client'): string | null {
  const differs = (Object.keys(OUR_VERSIONS) as (keyof Versions)[]).filter((k) => theirs[k] !== OUR_VERSIONS[k]);
  if (differs.length === 0) return null;
  const show = (v: Partial<Record<keyof Versions, unknown>>): string =>
    `protocol ${String(v.version ?? '?')}, events ${String(v.eventVersion ?? '?')}, snapshots ${String(v.snapshotVersion ?? '?')}`;
  const other = who === 'the daemon' ? 'this client' : 'the daemon';
  return `${who} speaks ${show(OUR_VERSIONS)}, ${other} ${show(theirs)}: run the same nix-btm version for both ` +
    '(restart the daemon, or the UI, after an upgrade)';
}
