// Shortcuts for the three record shapes that make up nearly every line Nix writes (log lines, progress, messages):
// parse only the variable part, read the id straight from its digits. Anything unexpected returns null and takes
// the general path in decode.ts, which validates fully; a test checks both agree on every real capture line.
import type { Field, NixRecord } from '../state/nix.js';
import { stripAnsi } from '../state/text.js';

const RESULT_HEAD = '{"action":"result","fields":[';
const MSG_HEAD = '{"action":"msg","level":';
const STOP_HEAD = '{"action":"stop","id":';
// `],"id":<digits>,"type":<digits>}` closing a result record.
// Digits as JSON writes them: no leading zero (JSON.parse refuses `001`, so must this).
const RESULT_TAIL = /\],"id":(0|[1-9]\d{0,19}),"type":(0|[1-9]\d{0,3})\}$/;

export function fastDecode(json: string): NixRecord | null {
  if (json.startsWith(RESULT_HEAD)) return fastResult(json);
  if (json.startsWith(MSG_HEAD)) return fastMsg(json);
  if (json.startsWith(STOP_HEAD) && json.endsWith('}')) {
    const digits = json.slice(STOP_HEAD.length, -1);
    return /^(?:0|[1-9]\d{0,19})$/.test(digits) ? { kind: 'stop', id: digits } : null;
  }
  return null;
}

function fastResult(json: string): NixRecord | null {
  const tailAt = json.lastIndexOf('],"id":');
  if (tailAt < 0) return null;
  const tail = RESULT_TAIL.exec(json.slice(tailAt));
  if (!tail?.[1] || !tail[2]) return null;
  let fields: unknown;
  try {
    fields = JSON.parse(json.slice(RESULT_HEAD.length - 1, tailAt + 1));
  } catch {
    return null;
  }
  if (!Array.isArray(fields)) return null;
  // Non-finite and -0 numbers take the general path, which refuses them.
  for (const f of fields) if (typeof f !== 'string' && (typeof f !== 'number' || !Number.isFinite(f) || Object.is(f, -0))) return null;
  return { kind: 'result', id: tail[1], type: Number(tail[2]), fields: fields as Field[] };
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
