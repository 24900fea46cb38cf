// Nix log line -> NixRecord. Total: every input gives a value, bad input gives { kind: 'invalid' } and is counted, never thrown.
import type { Field, NixRecord } from '../state/nix.js';
import { isKnownActivityType, isKnownResultType } from '../state/nix.js';
import { stripAnsi } from '../state/text.js';
import { fastDecode } from './decode-fast.js';

const PREFIX = '@nix ';
const SAMPLE_CHARS = 200;

/** Counts of what a decoder has seen, for the status line and `replay --json`. */
export type DecodeStats = {
  records: number;
  text: number;
  invalid: number;
  /** Records of an activity or result type this build of nix-btm does not know (still decoded). */
  unknownTypes: number;
};

export type Decoder = {
  readonly stats: DecodeStats;
  decode(line: string): NixRecord;
};

export function createDecoder(): Decoder {
  const stats: DecodeStats = { records: 0, text: 0, invalid: 0, unknownTypes: 0 };
  return {
    stats,
    decode(line: string): NixRecord {
      const record = decodeLine(line);
      if (record.kind === 'invalid') stats.invalid++;
      else if (record.kind === 'text') stats.text++;
      else {
        stats.records++;
        if ((record.kind === 'start' && !isKnownActivityType(record.type)) ||
            (record.kind === 'result' && !isKnownResultType(record.type))) stats.unknownTypes++;
      }
      return record;
    },
  };
}

/**
 * One line, with or without the `@nix ` prefix (internal-json on stderr, or json-log-path).
 * A line that is neither prefixed nor a JSON object is plain text, as Nix interleaves it on stderr.
 */
export function decodeLine(rawLine: string): NixRecord {
  const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
  let json: string;
  if (line.startsWith(PREFIX)) json = line.slice(PREFIX.length);
  else if (line.startsWith('{')) json = line;
  else return { kind: 'text', text: stripAnsi(line) };
  return fastDecode(json) ?? decodeGeneral(json);
}

/**
 * The full decoder of one JSON record; the fast path in decode-fast.ts must give exactly this for every input it
 * accepts (tests/ingest/decode-differential.test.ts mutates real records to check).
 */
export function decodeGeneral(json: string): NixRecord {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    return invalid(`not JSON: ${(err as Error).message}`, json);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalid('not a JSON object', json);
  return decodeObject(value as Record<string, unknown>, json);
}

function decodeObject(o: Record<string, unknown>, json: string): NixRecord {
  switch (o.action) {
    case 'start': {
      const id = exactId(o, json, 'id');
      if (id === null) return invalid('start without a numeric "id"', json);
      if (!isInt(o.type)) return invalid('start without a numeric "type"', json);
      const fields = readFields(o.fields);
      if (typeof fields === 'string') return invalid(fields, json);
      const parent = o.parent === undefined ? '0' : exactId(o, json, 'parent');
      if (parent === null) return invalid('start with a non-numeric "parent"', json);
      return {
        kind: 'start', id, type: o.type, parent, fields,
        level: isInt(o.level) ? o.level : 0,
        text: typeof o.text === 'string' ? o.text : '',
      };
    }
    case 'stop': {
      const id = exactId(o, json, 'id');
      return id === null ? invalid('stop without a numeric "id"', json) : { kind: 'stop', id };
    }
    case 'result': {
      const id = exactId(o, json, 'id');
      if (id === null) return invalid('result without a numeric "id"', json);
      if (!isInt(o.type)) return invalid('result without a numeric "type"', json);
      const fields = readFields(o.fields);
      if (typeof fields === 'string') return invalid(fields, json);
      const bad = o.payload === undefined ? null : jsonValueProblem(o.payload);
      if (bad !== null) return invalid(`"payload" ${bad}`, json);
      return o.payload === undefined
        ? { kind: 'result', id, type: o.type, fields }
        : { kind: 'result', id, type: o.type, fields, payload: o.payload };
    }
    case 'msg':
      return decodeMsg(o, json);
    default:
      return invalid(typeof o.action === 'string' ? `unknown action "${o.action.slice(0, 40)}"` : 'no "action"', json);
  }
}

function decodeMsg(o: Record<string, unknown>, json: string): NixRecord {
  if (typeof o.msg !== 'string') return invalid('msg without a string "msg"', json);
  if (o.level !== undefined && !isInt(o.level)) return invalid('msg with a non-numeric "level"', json);
  const rec: { -readonly [K in keyof Extract<NixRecord, { kind: 'msg' }>]: Extract<NixRecord, { kind: 'msg' }>[K] } = {
    kind: 'msg', level: isInt(o.level) ? o.level : 0, msg: stripAnsi(o.msg),
  };
  if (typeof o.raw_msg === 'string') rec.rawMsg = stripAnsi(o.raw_msg);
  if ('file' in o) rec.file = typeof o.file === 'string' ? o.file : null;
  if ('line' in o) rec.line = isInt(o.line) ? o.line : null;
  if ('column' in o) rec.column = isInt(o.column) ? o.column : null;
  return rec;
}

function readFields(v: unknown): Field[] | string {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return '"fields" is not an array';
  for (let i = 0; i < v.length; i++) {
    const f: unknown = v[i];
    if (typeof f !== 'string' && typeof f !== 'number') return `fields[${i}] is neither a string nor a number`;
    // 1e400 parses to Infinity, which JSON.stringify writes as null: the daemon and its clients would disagree.
    if (typeof f === 'number' && (!Number.isFinite(f) || Object.is(f, -0))) return `fields[${i}] does not survive a JSON round trip`;
  }
  return v as Field[];
}

/**
 * Reads an integer key from the JSON text itself: JSON.parse rounds ids past 2^53.
 * `"id":` cannot occur inside a JSON string (its quotes would be escaped), so the first match is a key;
 * it is checked against the parsed value in case a nested object came first.
 */
function exactId(o: Record<string, unknown>, json: string, key: 'id' | 'parent'): string | null {
  const parsed = o[key];
  if (!isInt(parsed) || parsed < 0) return null;
  if (parsed <= Number.MAX_SAFE_INTEGER) return String(parsed);
  const needle = `"${key}":`;
  for (let at = json.indexOf(needle); at >= 0; at = json.indexOf(needle, at + 1)) {
    const digits = /^\d+/.exec(json.slice(at + needle.length, at + needle.length + 24))?.[0];
    if (digits !== undefined && Number(digits) === parsed) return digits;
  }
  return String(parsed);
}

// -0 is refused like any non-integer: JSON.stringify writes it as 0, so daemon and clients would hold different values.
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0);

/** Deeper than this, a payload is refused: JSON.stringify recurses and would overflow the stack. */
export const MAX_PAYLOAD_DEPTH = 64;

/**
 * Why a parsed JSON value cannot be kept (too deep, or a number that does not survive a JSON round trip), or null.
 * Iterative, so the check itself cannot overflow the stack.
 */
export function jsonValueProblem(value: unknown, maxDepth = MAX_PAYLOAD_DEPTH): string | null {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return 'holds a number that is not finite';
      if (Object.is(v, -0)) return 'holds -0, which JSON writes as 0';
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth > maxDepth) return `is nested deeper than ${maxDepth} levels`;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return null;
}

function invalid(reason: string, json: string): NixRecord {
  return { kind: 'invalid', reason, sample: json.length > SAMPLE_CHARS ? json.slice(0, SAMPLE_CHARS) + '…' : json };
}
