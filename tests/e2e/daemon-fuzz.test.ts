// Protocol fuzzer on the real control socket of a running root daemon, run as an unprivileged group member:
// random ops, mutated and garbage messages, lines torn at random points, connections cut mid-line, feeds of mutated
// real records. The daemon must survive, never hit its last-resort handler, and still answer hello.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hello } from '../../src/client/daemon-client.js';
import { OUR_VERSIONS } from '../../src/protocol/version.js';
import { fuzzSeed, mutate, prng, realRecords, type Random } from '../fuzz-helpers.js';
import { ATTACKER, GROUP, attackAs, cleanAttacks, ensureUsers, memoryOf, RSS_BOUND_MIB } from './attacker.js';
import { alive, startDaemon, stopAll, within } from './daemon-helpers.js';

beforeAll(() => ensureUsers());
afterEach(async () => { await stopAll(); });
afterAll(() => cleanAttacks());

const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
// Never a pid that could be a real process of the attacker: the fuzzer must not signal itself or anyone.
const PIDS = [0, -1, 1, 2 ** 31, 99_999_999, 1.5, -0];
const VALUES = ['null', '5', '"x"', '[]', '{}', 'true', '1e400', '-0', '"\\u0000"', '[[[[[[[[]]]]]]]]'];

function message(r: Random, records: readonly string[]): string {
  switch (Math.floor(r() * 9)) {
    case 0: return JSON.stringify({ ...OUR_VERSIONS, op: 'hello', version: pick(r, [1, 0, 2, -1, 1e300]), eventVersion: pick(r, [1, 2, '1', null]) });
    case 1: return JSON.stringify({ op: 'signal', target: pick(r, ['process', 'build', 'job', 'all', '']), pid: pick(r, PIDS),
      startedAt: pick(r, [0, 1e12, -1]), signal: pick(r, ['TERM', 'KILL', 'STOP', 'BOGUS', '']) });
    case 2: return JSON.stringify({ op: 'environ', pid: pick(r, PIDS), startedAt: pick(r, [0, 1e12]) });
    case 3: return pick(r, VALUES);
    case 4: return `{"op":${pick(r, VALUES)}}`;
    case 5: return mutate(JSON.stringify({ op: pick(r, ['hello', 'signal', 'environ', 'feed']), version: 1, pid: 99_999_999, startedAt: 0 }), r);
    case 6: return Array.from({ length: 1 + Math.floor(r() * 64) }, () => String.fromCharCode(Math.floor(r() * 256))).join('');
    case 7: return JSON.stringify({ op: 'hello', ...OUR_VERSIONS, pad: 'y'.repeat(Math.floor(r() * 200_000)) });
    default: return JSON.stringify({ line: '@nix ' + mutate(pick(r, records), r) });
  }
}

/** One connection: a few messages (maybe a feed and then its lines), torn into chunks, maybe cut mid-line. */
function connection(r: Random, records: readonly string[]): { chunks: string[]; waitMs: number; halfClose: boolean } {
  const lines: string[] = [];
  if (r() < 0.3) {
    lines.push(JSON.stringify({ op: 'feed', command: 'fuzz', pid: null }));
    for (let i = 0, n = Math.floor(r() * 60); i < n; i++) lines.push(r() < 0.8 ? JSON.stringify({ line: '@nix ' + mutate(pick(r, records), r) }) : message(r, records));
    if (r() < 0.5) lines.push(JSON.stringify({ exit: pick(r, [0, 1, null]) }));
  } else {
    for (let i = 0, n = 1 + Math.floor(r() * 12); i < n; i++) lines.push(message(r, records));
  }
  let text = lines.join('\n') + (r() < 0.8 ? '\n' : '');
  if (r() < 0.2) text = text.slice(0, Math.floor(r() * text.length));
  const chunks: string[] = [];
  for (let at = 0; at < text.length;) {
    const n = 1 + Math.floor(r() * 4096);
    chunks.push(text.slice(at, at + n));
    at += n;
  }
  return { chunks, waitMs: Math.floor(r() * 30), halfClose: r() < 0.5 };
}

describe('control socket protocol fuzzer', () => {
  it('2,000 fuzzed connections from a group member: the daemon survives and answers hello', async () => {
    const seed = fuzzSeed('control socket fuzz');
    const r = prng(seed);
    const records = realRecords();
    const d = await startDaemon({ group: GROUP });
    const connections = Array.from({ length: 2000 }, () => connection(r, records));
    const fuzz = attackAs(ATTACKER, { mode: 'fuzz', path: d.paths.control, lanes: 6, connections });
    const report = await within(fuzz.done, 240_000, `the fuzzer (seed ${seed})`);
    expect(report.connections).toBe(2000);
    expect(alive(d.pid), `seed ${seed}`).toBe(true);
    const h = await within(hello(d.paths.control), 10_000, 'hello after the fuzzer');
    expect(h.daemon.pid).toBe(d.pid);
    const mine = attackAs(ATTACKER, { mode: 'lines', path: d.paths.control, chunks: [`${JSON.stringify({ op: 'hello', ...OUR_VERSIONS })}\n`], readMs: 1000 });
    expect(JSON.parse(((await mine.done).replies as string[])[0] ?? '{}')).toMatchObject({ ok: true, op: 'hello' });
    // No handler threw (each would be logged) and the last-resort handler never ran.
    expect(d.stderr(), `seed ${seed}`).not.toMatch(/connection of uid \d+ failed|uncaught|unhandled|RangeError|TypeError/);
    expect(memoryOf(d.pid).hwmMiB).toBeLessThan(RSS_BOUND_MIB);
  });
});
