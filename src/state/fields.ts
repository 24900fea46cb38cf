// Every State field, defined once: its type, its initial value, how a frozen copy and a snapshot treat it. State
// (model.ts), initialState, the reducer's draft, the UI's frozen copy and the snapshot are all derived from this
// table, so adding a field is one entry here and the compiler checks the rest. Pure: no I/O, no clock.
import type { At, DrvInfo, HostInfo, ProcessInfo, SourceId } from './events.js';
import type { LogTail } from './log-tail.js';
import type { Activity, Derivation, Job, Message, Transfer } from './model.js';
import type { ActivityId } from './nix.js';

/** How a value travels in a snapshot (JSON): `toWire` must give plain JSON, `fromWire` must not keep its argument. */
type Codec<V, W> = { readonly toWire: (v: V) => W; readonly fromWire: (w: W) => V };

/**
 * value: replaced, never mutated (a copy may share it); map / nested-map / list: a container the reducer updates
 * in place (O(1) per event), so a frozen copy copies it (a nested map's inner maps too) while sharing the entities.
 */
type Field<T, W> =
  | { readonly kind: 'value'; readonly initial: () => T; readonly wire?: never }
  | { readonly kind: 'map' | 'nested-map' | 'list'; readonly initial: () => T; readonly wire: Codec<T, W> };

const value = <T>(initial: T): Field<T, T> => ({ kind: 'value', initial: () => initial });

function map<K, V, W = V>(codec?: Codec<V, W>): Field<Map<K, V>, [K, W][]> {
  const to = codec?.toWire ?? ((v: V) => v as unknown as W);
  const from = codec?.fromWire ?? ((w: W) => w as unknown as V);
  return { kind: 'map', initial: () => new Map(),
    wire: { toWire: (m) => [...m].map(([k, v]) => [k, to(v)]), fromWire: (e) => new Map(e.map(([k, w]) => [k, from(w)])) } };
}

function nestedMap<K, K2, V>(): Field<Map<K, Map<K2, V>>, [K, [K2, V][]][]> {
  return { kind: 'nested-map', initial: () => new Map(),
    wire: { toWire: (m) => [...m].map(([k, inner]) => [k, [...inner]]), fromWire: (e) => new Map(e.map(([k, inner]) => [k, new Map(inner)])) } };
}

function list<T>(): Field<T[], T[]> {
  return { kind: 'list', initial: () => [], wire: { toWire: (l) => l.slice(), fromWire: (l) => l.slice() } };
}

type WireDerivation = Omit<Derivation, 'log'> & { readonly log: string[] };
// Log tails share one append-only buffer between versions: only the live window travels.
const derivationWire: Codec<Derivation, WireDerivation> = {
  toWire: (d) => ({ ...d, log: d.log.buf.slice(d.log.start, d.log.end) }),
  fromWire: (d): Derivation => ({ ...d, log: { buf: d.log.slice(), start: 0, end: d.log.length } satisfies LogTail }),
};

/** The fields of State after `limits` (which initialState takes as an argument), in the order they were defined. */
export const STATE_FIELDS = {
  /** Events applied so far. */
  eventCount: value(0),
  /** Latest event time seen. */
  now: value<At>(null),
  jobs: map<SourceId, Job>(),
  /** Open activities of each source, by activity id. */
  activities: nestedMap<SourceId, ActivityId, Activity>(),
  derivations: map<string, Derivation, WireDerivation>(derivationWire),
  transfers: map<string, Transfer>(),
  messages: list<Message>(),
  /** Messages dropped to keep `messages` bounded. */
  messagesDropped: value(0),
  decodeErrors: value(0),
  /** Records of an unknown action, activity or result type: tolerated and counted. */
  unknownRecords: value(0),
  drvInfo: map<string, DrvInfo>(),
  processes: value<readonly ProcessInfo[]>([]),
  host: value<HostInfo | null>(null),
  scannedAt: value<At>(null),
};

type Fields = typeof STATE_FIELDS;
export type FieldName = keyof Fields;
type TypeOf<F> = F extends Field<infer T, infer _W> ? T : never;
type WireOf<F> = F extends Field<infer _T, infer W> ? W : never;

/** State minus `limits`, as the table defines it (model.ts adds `limits`). */
export type StateFields = { readonly [K in FieldName]: TypeOf<Fields[K]> };
/** The snapshot's form of each field. */
export type WireFields = { readonly [K in FieldName]: WireOf<Fields[K]> };

const NAMES = Object.keys(STATE_FIELDS) as FieldName[];
// One generic view of the table for the loops below; each entry's own types were checked where it is defined.
const field = (name: FieldName): Field<unknown, unknown> => STATE_FIELDS[name] as Field<unknown, unknown>;

export function initialFields(): StateFields {
  const out: Record<string, unknown> = {};
  for (const name of NAMES) out[name] = field(name).initial();
  return out as StateFields;
}

/** A copy that the reducer's in-place updates of `s` never reach: containers copied, entities shared. */
export function freezeFields<S extends StateFields>(s: S): S {
  const out: Record<string, unknown> = { ...s };
  for (const name of NAMES) {
    const f = field(name);
    const v = s[name] as unknown;
    if (f.kind === 'map') out[name] = new Map(v as Map<unknown, unknown>);
    else if (f.kind === 'nested-map') out[name] = new Map([...(v as Map<unknown, Map<unknown, unknown>>)].map(([k, m]) => [k, new Map(m)]));
    else if (f.kind === 'list') out[name] = (v as unknown[]).slice();
  }
  return out as S;
}

export function fieldsToWire(s: StateFields): WireFields {
  const out: Record<string, unknown> = {};
  for (const name of NAMES) {
    const f = field(name);
    out[name] = f.kind === 'value' ? s[name] : f.wire.toWire(s[name]);
  }
  return out as WireFields;
}

export function fieldsFromWire(w: WireFields): StateFields {
  const out: Record<string, unknown> = {};
  for (const name of NAMES) {
    const f = field(name);
    out[name] = f.kind === 'value' ? w[name] : f.wire.fromWire(w[name]);
  }
  return out as StateFields;
}
