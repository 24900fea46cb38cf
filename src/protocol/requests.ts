// Shape checks for what control-socket peers send: a message is used only once it has exactly the shape its op
// needs. Anything else (null, 5, arrays, wrong types) gets a clear refusal, never a cast.
import { SIGNAL_NAMES, type FeedMessage, type Request } from './control.js';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly op: string; readonly reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPid = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const TARGETS: readonly unknown[] = ['process', 'build', 'job'];

/** A short, printable rendering of a peer's value for a reply or the log. */
export function describeValue(v: unknown): string {
  let text: string;
  try { text = JSON.stringify(v) ?? String(v); } catch { text = typeof v; }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

export function parseRequest(msg: unknown): Parsed<Request> {
  if (!isObject(msg)) return { ok: false, op: '?', reason: `a request is a JSON object with an "op", not ${describeValue(msg)}` };
  const op = msg.op;
  const refuse = (reason: string): Parsed<Request> => ({ ok: false, op: typeof op === 'string' ? op.slice(0, 40) : '?', reason });
  switch (op) {
    case 'hello':
      // Whether the versions match is src/protocol/version.ts's to say (the daemon answers a mismatch in words).
      return typeof msg.version === 'number'
        ? { ok: true, value: { op, version: msg.version, eventVersion: msg.eventVersion, snapshotVersion: msg.snapshotVersion } }
        : refuse('hello needs a numeric "version"');
    case 'signal': {
      const { target, pid, startedAt, signal } = msg;
      if (!TARGETS.includes(target) || !SIGNAL_NAMES.includes(signal as never) || !isPid(pid) || typeof startedAt !== 'number') {
        return refuse(`bad signal request: signal must be one of ${SIGNAL_NAMES.join(', ')}, target process, build or job, with a numeric pid and startedAt`);
      }
      return { ok: true, value: { op, target, pid, startedAt, signal } as Request };
    }
    case 'environ':
      return isPid(msg.pid) && typeof msg.startedAt === 'number'
        ? { ok: true, value: { op, pid: msg.pid, startedAt: msg.startedAt } }
        : refuse('environ needs a numeric "pid" and "startedAt"');
    case 'feed': {
      const command = msg.command === undefined ? '' : msg.command;
      const pid = msg.pid === undefined ? null : msg.pid;
      const framed = msg.framed === undefined ? false : msg.framed;
      if (typeof command !== 'string' || (pid !== null && !isPid(pid))) return refuse('feed needs a string "command" and a numeric or null "pid"');
      if (typeof framed !== 'boolean') return refuse('feed\'s "framed" is a boolean');
      const startedAt = typeof msg.startedAt === 'number' && Number.isFinite(msg.startedAt) ? msg.startedAt : null;
      return { ok: true, value: { op, command: command.slice(0, 4096), pid, framed, startedAt } };
    }
    case 'history':
      // The query's own shape is checked by src/history/protocol.ts (parseQuery) before it reaches the database.
      return { ok: true, value: { op, query: msg.query } };
    case 'attach':
      return typeof msg.all === 'boolean' ? { ok: true, value: { op, all: msg.all } } : refuse('attach needs a boolean "all"');
    case 'stop-if-alone':
    case 'wake':
      return { ok: true, value: { op } };
    default:
      return refuse(`unknown request ${describeValue(op ?? null)}`);
  }
}

/** After `feed`: `{line}` or `{exit}`; anything else is counted by the caller and skipped. */
export function parseFeedMessage(msg: unknown): Parsed<FeedMessage> {
  if (isObject(msg) && typeof msg.line === 'string') return { ok: true, value: { line: msg.line } };
  if (isObject(msg) && 'exit' in msg && (msg.exit === null || (typeof msg.exit === 'number' && Number.isSafeInteger(msg.exit)))) {
    return { ok: true, value: { exit: msg.exit } };
  }
  return { ok: false, op: 'feed', reason: `a feed message is {"line": string} or {"exit": number|null}, not ${describeValue(msg)}` };
}
