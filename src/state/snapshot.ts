// State <-> a JSON-able snapshot, so a client started late (or lapped, or reconnecting) starts from the daemon's state
// at a ring sequence number and then applies the same events the daemon applied after it.
import type { DrvInfo, SourceId } from './events.js';
import type { Activity, Derivation, Job, Limits, State, Transfer } from './model.js';
import type { LogTail } from './log-tail.js';
import type { ActivityId } from './nix.js';

/** Bumped whenever the snapshot's shape changes. */
export const SNAPSHOT_VERSION = 2; // 2: outcome basis, owners, -vvv trace, frozenAt; job pool and crash fields

type Wire<T> = Omit<T, 'log'> & { log: string[] };

export type Snapshot = {
  readonly version: number;
  readonly limits: Limits;
  readonly scalars: Pick<State, 'eventCount' | 'now' | 'messagesDropped' | 'decodeErrors' | 'unknownRecords' | 'processes' | 'host' | 'scannedAt'>;
  readonly jobs: [SourceId, Job][];
  readonly activities: [SourceId, [ActivityId, Activity][]][];
  readonly derivations: Wire<Derivation>[];
  readonly transfers: [string, Transfer][];
  readonly messages: State['messages'];
  readonly drvInfo: DrvInfo[];
};

export function toSnapshot(s: State): Snapshot {
  const { eventCount, now, messagesDropped, decodeErrors, unknownRecords, processes, host, scannedAt } = s;
  return {
    version: SNAPSHOT_VERSION, limits: s.limits,
    scalars: { eventCount, now, messagesDropped, decodeErrors, unknownRecords, processes, host, scannedAt },
    jobs: [...s.jobs],
    activities: [...s.activities].map(([source, open]) => [source, [...open]]),
    derivations: [...s.derivations.values()].map((d) => ({ ...d, log: d.log.buf.slice(d.log.start, d.log.end) })),
    transfers: [...s.transfers],
    messages: s.messages.slice(),
    drvInfo: [...s.drvInfo.values()],
  };
}

export function fromSnapshot(snap: Snapshot): State {
  if (snap.version !== SNAPSHOT_VERSION) throw new Error(`snapshot version ${snap.version}, expected ${SNAPSHOT_VERSION}`);
  const log = (lines: string[]): LogTail => ({ buf: lines.slice(), start: 0, end: lines.length });
  return {
    ...snap.scalars,
    limits: snap.limits,
    jobs: new Map(snap.jobs),
    activities: new Map(snap.activities.map(([source, open]) => [source, new Map(open)])),
    derivations: new Map(snap.derivations.map((d) => [d.drvPath, { ...d, log: log(d.log) }])),
    transfers: new Map(snap.transfers),
    messages: snap.messages.slice(),
    drvInfo: new Map(snap.drvInfo.map((i) => [i.drvPath, i])),
  };
}
