// Mutations of real Nix records for the fuzz and differential tests: a seeded PRNG (the seed is printed and can be
// set with NIX_BTM_FUZZ_SEED to replay a failure) and mutators that each target one way a decoder can go wrong.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './helpers.js';

export type Random = () => number;

export function prng(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** NIX_BTM_FUZZ_SEED, else a fresh one; printed so that a failing run can be replayed. */
export function fuzzSeed(what: string): number {
  const fromEnv = process.env.NIX_BTM_FUZZ_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  console.log(`${what}: seed ${seed} (replay with NIX_BTM_FUZZ_SEED=${seed})`);
  return seed;
}

const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Every JSON record line (without `@nix `) of every real capture in tests/fixtures. */
export function realRecords(): string[] {
  const dirs = ['tests/fixtures/captures', 'tests/fixtures/nix-2.8'].map((d) => join(root, d));
  const out: string[] = [];
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()) {
      for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) {
        if (l.startsWith('@nix {')) out.push(l.slice(5));
        else if (l.startsWith('{')) out.push(l);
      }
    }
  }
  return out;
}

const NUMBERS = ['1e400', '-1e400', '-0', '001', '01', '1.5', '-1', '9007199254740993', '1e2', '0', '4294967296',
  '123456789012345678901', '"7"', 'null', 'true', '[]', '{}', '[1e400]', '{"a":-0}'];
const STRINGS = ['"\\u001b[31mred\\u001b[0m"', '"\\u0000"', '"\\ud800"', '"a\\bb"', '""', '"\\n\\r\\t"', '123', 'null',
  '["x"]', '"é→€"', '"@nix {}"'];
const KEYS = ['action', 'id', 'type', 'fields', 'level', 'msg', 'parent', 'payload', 'text', 'raw_msg', 'line', 'column', 'file'];

function nested(depth: number, leaf: string): string {
  return '['.repeat(depth) + leaf + ']'.repeat(depth);
}

type Mutator = (line: string, r: Random) => string;

function replaceToken(re: RegExp, line: string, r: Random, by: string): string {
  const hits = [...line.matchAll(re)];
  if (hits.length === 0) return line;
  const h = pick(r, hits);
  return line.slice(0, h.index) + by + line.slice(h.index! + h[0].length);
}

const MUTATORS: readonly Mutator[] = [
  (l, r) => replaceToken(/(?<=[:,[])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/g, l, r, pick(r, NUMBERS)),
  (l, r) => replaceToken(/"(?:[^"\\]|\\.)*"(?=[,\]}])/g, l, r, pick(r, STRINGS)),
  (l, r) => { const at = Math.floor(r() * l.length); return l.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + l.slice(at + 1); },
  (l, r) => l.slice(0, Math.floor(r() * l.length)),
  (l, r) => l.replace(/}$/, `,"${pick(r, KEYS)}":${pick(r, [...NUMBERS, ...STRINGS])}}`),
  (l, r) => replaceToken(/(?<=[:,[])(?:-?\d+|"(?:[^"\\]|\\.)*")(?=[,\]}])/g, l, r, nested(pick(r, [63, 64, 65, 200, 5000]), '1')),
  (l, r) => l.replace(/}$/, `,"payload":${nested(pick(r, [1, 63, 64, 65, 4200]), pick(r, ['1', '1e400', '"x"', '{}']))}}`),
  (l, r) => l.replace(/"action":"[a-z]+"/, `"action":"${pick(r, ['start', 'stop', 'result', 'msg', 'nope'])}"`),
  (l, r) => replaceToken(new RegExp(`"${pick(r, KEYS)}":`, 'g'), l, r, `"${pick(r, KEYS)}":`),
  (l, r) => replaceToken(/,/g, l, r, pick(r, [' , ', ',\t', ',,', ''])),
  (l, r) => replaceToken(/"type":\d+/g, l, r, `"type":${pick(r, ['001', '0101', '101', '105', '1e2', '99999'])}`),
  (l) => l.replace(/^\{/, '{"action":"result","fields":[1e400],"id":1,"type":101,'),
];

/** One to three mutations of a real record line. */
export function mutate(line: string, r: Random): string {
  let out = line;
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) out = pick(r, MUTATORS)(out, r);
  return out;
}
