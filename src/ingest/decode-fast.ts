// Shortcuts for the three record shapes that make up nearly every line Nix writes (log lines, progress, messages):
// parse only the variable part, read the id straight from its digits. Anything unexpected returns null and takes
// the general path in decode.ts, which validates fully; a test checks both agree on every real capture line.
import type { Field, NixRecord } from '../state/nix.js';
import { stripAnsi } from '../state/text.js';

const RESULT_HEAD = '{"action":"result","fields":[';
const MSG_HEAD = '{"action":"msg","level":';
const STOP_HEAD = '{"action":"stop","id":';
// `],"id":<digits>,"type":<digits>}` closes a result record: an id of at most 20 digits, a type of at most 4,
// digits as JSON writes them (no leading zero: JSON.parse refuses `001`, so must this). Read by hand, not by a
// regular expression on a slice: this runs for nine lines in ten (no slice, no match array).
const ID_KEY = '],"id":';
const TYPE_KEY = ',"type":';

export function fastDecode(json: string): NixRecord | null {
  if (json.startsWith(RESULT_HEAD)) return fastResult(json);
  if (json.startsWith(MSG_HEAD)) return fastMsg(json);
  if (json.startsWith(STOP_HEAD) && json.endsWith('}')) {
    const digits = json.slice(STOP_HEAD.length, -1);
    return /^(?:0|[1-9]\d{0,19})$/.test(digits) ? { kind: 'stop', id: digits } : null;
  }
  return null;
}

/** Index just past the JSON digits starting at `from` (at most `max`, no leading zero), or -1. */
function digitsEnd(json: string, from: number, max: number): number {
  const first = json.charCodeAt(from);
  if (first === 48) return from + 1; // "0"
  if (!(first > 48 && first <= 57)) return -1;
  let at = from + 1;
  while (at < json.length && at - from < max) {
    const c = json.charCodeAt(at);
    if (c < 48 || c > 57) break;
    at++;
  }
  return at;
}

/** The id and type of `],"id":<id>,"type":<type>}` ending the text at `tailAt`, or null. */
function resultTail(json: string, tailAt: number): { id: string; type: number } | null {
  const idAt = tailAt + ID_KEY.length;
  const idEnd = digitsEnd(json, idAt, 20);
  if (idEnd < 0 || !json.startsWith(TYPE_KEY, idEnd)) return null;
  const typeAt = idEnd + TYPE_KEY.length;
  const typeEnd = digitsEnd(json, typeAt, 4);
  if (typeEnd < 0 || typeEnd !== json.length - 1 || json.charCodeAt(typeEnd) !== 125) return null; // "}" last
  let type = 0;
  for (let i = typeAt; i < typeEnd; i++) type = type * 10 + json.charCodeAt(i) - 48;
  return { id: json.slice(idAt, idEnd), type };
}

function fastResult(json: string): NixRecord | null {
  const tailAt = json.lastIndexOf(ID_KEY);
  if (tailAt < 0) return null;
  const tail = resultTail(json, tailAt);
  if (tail === null) return null;
  let fields: unknown;
  try {
    fields = JSON.parse(json.slice(RESULT_HEAD.length - 1, tailAt + 1));
  } catch {
    return null;
  }
  if (!Array.isArray(fields)) return null;
  // Non-finite and -0 numbers take the general path, which refuses them.
  for (const f of fields) if (typeof f !== 'string' && (typeof f !== 'number' || !Number.isFinite(f) || Object.is(f, -0))) return null;
  return { kind: 'result', id: tail.id, type: tail.type, fields: fields as Field[] };
}

function fastMsg(json: string): NixRecord | null {
  const msgAt = json.indexOf(',"msg":', MSG_HEAD.length);
  if (msgAt < 0 || !json.endsWith('}')) return null;
  const level = json.slice(MSG_HEAD.length, msgAt);
  if (!/^(?:0|[1-9]\d?)$/.test(level)) return null;
  let msg: unknown;
  try {
    msg = JSON.parse(json.slice(msgAt + 7, -1));
  } catch {
    return null; // more keys after "msg" (errors carry raw_msg, position): the general path reads them
  }
  return typeof msg === 'string' ? { kind: 'msg', level: Number(level), msg: stripAnsi(msg) } : null;
}
