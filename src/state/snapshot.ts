// State <-> a JSON-able snapshot, so a client started late (or lapped, or reconnecting) starts from the daemon's state
// at a ring sequence number and then applies the same events the daemon applied after it.
import { fieldsFromWire, fieldsToWire, type WireFields } from './fields.js';
import type { Limits, State } from './model.js';

/** Bumped whenever the snapshot's shape changes. */
export const SNAPSHOT_VERSION = 4; // 4: Job.buildsTotal, Derivation.frozenMs; 3: every State field under `fields`, by fields.ts; 2: outcome basis, owners, -vvv trace

export type Snapshot = {
  readonly version: number;
  readonly limits: Limits;
  readonly fields: WireFields;
};

export function toSnapshot(s: State): Snapshot {
  return { version: SNAPSHOT_VERSION, limits: s.limits, fields: fieldsToWire(s) };
}

export function fromSnapshot(snap: Snapshot): State {
  if (snap.version !== SNAPSHOT_VERSION) throw new Error(`snapshot version ${snap.version}, expected ${SNAPSHOT_VERSION}`);
  return { limits: snap.limits, ...fieldsFromWire(snap.fields) };
}
