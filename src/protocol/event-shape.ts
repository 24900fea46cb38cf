// The shape of every BtmEvent, checked field by field on a decoded ring record: a client uses a record only once it
// is exactly what src/state/events.ts says (never a cast), and a record that is not says why.
import type { BtmEvent } from '../state/events.js';

type Obj = Record<string, unknown>;
/** null when `v` has the shape, else what is wrong (a short phrase naming the field). */
type Check = (v: unknown) => string | null;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v) => (typeof v === 'string' ? null : 'not a string');
const num: Check = (v) => (typeof v === 'number' ? null : 'not a number');
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'not a boolean');
const orNull = (c: Check): Check => (v) => (v === null ? null : c(v));
const optional = (c: Check): Check => (v) => (v === undefined ? null : c(v));
const oneOf = (...values: readonly string[]): Check => (v) => (values.includes(v as string) ? null : `not one of ${values.join(', ')}`);
const any: Check = () => null;

function listOf(c: Check): Check {
  return (v) => {
    if (!Array.isArray(v)) return 'not a list';
    for (let i = 0; i < v.length; i++) {
      const why = c(v[i]);
      if (why !== null) return `[${i}] ${why}`;
    }
    return null;
  };
}

function shape(fields: Readonly<Record<string, Check>>): Check {
  const entries = Object.entries(fields);
  return (v) => {
    if (!isObj(v)) return 'not an object';
    for (const [key, c] of entries) {
      const why = c(v[key]);
      if (why !== null) return `${key}: ${why}`;
    }
    return null;
  };
}

const stringMap: Check = (v) => {
  if (!isObj(v)) return 'not an object';
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') return `${k}: not a string`;
  return null;
};

const field: Check = (v) => (typeof v === 'string' || typeof v === 'number' ? null : 'not a string or number');
const at = orNull(num);

const records: Readonly<Record<string, Check>> = {
  start: shape({ id: str, level: num, type: num, text: str, parent: str, fields: listOf(field) }),
  stop: shape({ id: str }),
  result: shape({ id: str, type: num, fields: listOf(field), payload: any }),
  msg: shape({ level: num, msg: str, rawMsg: optional(str), file: optional(orNull(str)), line: optional(orNull(num)),
    column: optional(orNull(num)) }),
  text: shape({ text: str }),
  invalid: shape({ reason: str, sample: str }),
};

const nixRecord: Check = (v) => {
  if (!isObj(v)) return 'not an object';
  const c = typeof v.kind === 'string' ? records[v.kind] : undefined;
  return c ? c(v) : `unknown record kind ${JSON.stringify(v.kind)}`;
};

const sourceInfo = shape({
  via: oneOf('socket', 'run', 'feed', 'replay', 'left-file', 'local'), pid: orNull(num), uid: orNull(num),
  user: orNull(str), command: str, daemonWorker: optional(bool), peer: optional(shape({ pid: num, uid: num })),
  attributedBy: optional(oneOf('client-socket', 'worker-argv')), pidStartedAt: optional(num),
});

const processInfo = shape({
  pid: num, ppid: num, pgid: num, uid: num, user: str, state: str, cpuPercent: num, rssBytes: num, startedAt: num,
  command: str, role: oneOf('nix-daemon', 'daemon-worker', 'client', 'builder', 'builder-child', 'other'),
  drvPath: orNull(str),
});

const load: Check = (v) => (Array.isArray(v) && v.length === 3 ? listOf(num)(v) : 'not three numbers');
const hostInfo = shape({ hostname: str, nixVersion: orNull(str), cpuPercent: listOf(num), memTotalBytes: num,
  memUsedBytes: num, load });
const drvInfo = shape({ drvPath: str, name: str, outputs: stringMap, inputDrvs: listOf(str), system: str });

const events: Readonly<Record<BtmEvent['kind'], Check>> = {
  'source-open': shape({ at, source: str, info: sourceInfo }),
  nix: shape({ at, source: str, record: nixRecord }),
  'source-close': shape({ at, source: str, exitCode: orNull(num), reason: oneOf('eof', 'vanished', 'error') }),
  'drv-info': shape({ at, info: drvInfo }),
  'outputs-valid': shape({ at, drvPath: str, valid: bool }),
  'proc-scan': shape({ at, processes: listOf(processInfo), host: orNull(hostInfo) }),
  'local-build': shape({ at, source: str, drvPath: str, status: oneOf('running', 'built', 'failed'), reason: orNull(str) }),
};

/** The value as a BtmEvent when it has exactly an event's shape, else the reason it is not one. */
export function checkEvent(v: unknown): { readonly ok: true; readonly event: BtmEvent } | { readonly ok: false; readonly reason: string } {
  if (!isObj(v)) return { ok: false, reason: 'not an object' };
  const c = typeof v.kind === 'string' && Object.hasOwn(events, v.kind) ? events[v.kind as BtmEvent['kind']] : undefined;
  if (!c) return { ok: false, reason: `unknown event kind ${JSON.stringify(v.kind)?.slice(0, 40)}` };
  const why = c(v);
  // Checked above, field by field, against the declared types: this is the one place the type is asserted.
  const article = /^[aeiou]/.test(v.kind as string) ? 'an' : 'a';
  return why === null ? { ok: true, event: v as BtmEvent } : { ok: false, reason: `${article} ${v.kind as string} event: ${why}` };
}
