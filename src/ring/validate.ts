// Argument checks for the ring API, each with one exact message, run before any native code.
// TypeError for a value of the wrong type, RangeError for a number out of range (as Node's own ERR_INVALID_ARG_TYPE
// and ERR_OUT_OF_RANGE do).
import { isAbsolute } from 'node:path';

import { RING_LAYOUT } from './layout.js';

const U32_MAX = 0xffffffff;
/** Largest maxRecords one read() may ask for. */
export const MAX_READ_RECORDS = 65536;

/** A short, stable rendering of a bad argument for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return 'an array';
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

function integerIn(name: string, value: unknown, min: number, max: number, wanted: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be ${wanted}, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be ${wanted}, got ${describe(value)}`);
  }
  return value;
}

export function checkObject(what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function checkPath(value: unknown): string {
  if (typeof value !== 'string' || !isAbsolute(value) || value.includes('\0')) {
    throw new TypeError(`path must be an absolute file path string, got ${describe(value)}`);
  }
  return value;
}

export function checkCapacity(value: unknown): number {
  const { minCapacity, maxCapacity } = RING_LAYOUT;
  const wanted = `an integer power of two between ${minCapacity} and ${maxCapacity}`;
  const n = integerIn('capacityBytes', value, minCapacity, maxCapacity, wanted);
  if ((n & (n - 1)) !== 0) throw new RangeError(`capacityBytes must be ${wanted}, got ${n}`);
  return n;
}

export function checkMaxRecord(value: unknown, capacityBytes: number): number {
  const max = capacityBytes / RING_LAYOUT.maxRecordDivisor;
  return integerIn('maxRecordBytes', value, 1, max, `an integer between 1 and ${max} (capacityBytes / 4)`);
}

export function checkMode(value: unknown): number {
  // Only the writer may write the ring: a reader who could would forge records or truncate the writer into SIGBUS.
  const wanted = 'an integer file mode between 0o600 and 0o755 that includes owner read and write (0o600) and no group or other write';
  const shown = typeof value === 'number' && Number.isInteger(value) && value >= 0 ? `0o${value.toString(8)}` : null;
  if (typeof value !== 'number') throw new TypeError(`mode must be ${wanted}, got ${describe(value)}`);
  if (shown === null || value > 0o777 || (value & 0o600) !== 0o600 || (value & 0o022) !== 0) {
    throw new RangeError(`mode must be ${wanted}, got ${shown ?? describe(value)}`);
  }
  return value;
}

export function checkGid(value: unknown): number {
  return integerIn('gid', value, 0, U32_MAX - 1, `an integer between 0 and ${U32_MAX - 1}`);
}

export function checkKind(value: unknown): number {
  return integerIn('kind', value, 0, U32_MAX, `an integer between 0 and ${U32_MAX}`);
}

export function checkSeq(name: string, value: unknown): number {
  return integerIn(name, value, 0, Number.MAX_SAFE_INTEGER, 'a non-negative safe integer');
}

export function checkMaxRecords(value: unknown): number {
  return integerIn('maxRecords', value, 1, MAX_READ_RECORDS, `an integer between 1 and ${MAX_READ_RECORDS}`);
}

export function checkListener(value: unknown): () => void {
  if (typeof value !== 'function') throw new TypeError(`listener must be a function, got ${describe(value)}`);
  return value as () => void;
}

/** The payload as bytes: strings are encoded as UTF-8. */
export function checkPayload(value: unknown, maxRecordBytes: number): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') bytes = Buffer.from(value, 'utf8');
  else if (value instanceof Uint8Array) bytes = value;
  else throw new TypeError(`payload must be a Uint8Array or a string, got ${describe(value)}`);
  if (bytes.byteLength > maxRecordBytes) {
    throw new RangeError(`payload is ${bytes.byteLength} bytes, more than this ring's maxRecordBytes (${maxRecordBytes})`);
  }
  return bytes;
}
