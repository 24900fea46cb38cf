// The fast decoder path must accept exactly what the general path accepts and decode it identically: over real
// records and seeded mutations of them (leading zeros, 1e400, -0, deep nesting, duplicate keys, torn lines).
import { describe, expect, it } from 'vitest';
import { decodeGeneral, decodeLine } from '../../src/ingest/decode.js';
import { fastDecode } from '../../src/ingest/decode-fast.js';
import { fuzzSeed, mutate, prng, realRecords } from '../fuzz-helpers.js';

/** Stable text of a record, telling -0 from 0 and Infinity from null (JSON.stringify would not). */
const exact = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) =>
  (typeof x === 'number' && (!Number.isFinite(x) || Object.is(x, -0)) ? `number:${Object.is(x, -0) ? '-0' : String(x)}` : x));

describe('fast and general decoder paths', () => {
  it('agree on every record they both accept, real and mutated (seeded)', () => {
    const seed = fuzzSeed('decode differential');
    const r = prng(seed);
    const records = realRecords();
    let fastTaken = 0;
    let compared = 0;
    for (let i = 0; i < 60_000; i++) {
      const line = i < records.length ? records[i]! : mutate(records[Math.floor(r() * records.length)]!, r);
      const fast = fastDecode(line);
      if (fast === null) continue;
      fastTaken++;
      const general = decodeGeneral(line);
      expect(exact(fast), `seed ${seed}: ${line.slice(0, 300)}`).toBe(exact(general));
      compared++;
    }
    // The comparison must have happened often, or this test proves nothing.
    expect(fastTaken).toBeGreaterThan(10_000);
    expect(compared).toBe(fastTaken);
  });

  it('refuses the inputs the issue named, on both paths', () => {
    const typeLeadingZero = '{"action":"result","fields":["a line"],"id":12,"type":001}';
    expect(fastDecode(typeLeadingZero)).toBeNull();
    expect(decodeLine(typeLeadingZero).kind).toBe('invalid');
    const infinite = '{"action":"result","fields":[1e400],"id":12,"type":105}';
    expect(fastDecode(infinite)).toBeNull();
    expect(decodeLine(infinite)).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/round trip/) });
    expect(decodeLine('{"action":"msg","level":03,"msg":"x"}').kind).toBe('invalid');
    expect(decodeLine('{"action":"start","id":1,"type":-0,"fields":[]}').kind).toBe('invalid');
    const deep = `{"action":"result","fields":[],"id":1,"type":101,"payload":${'['.repeat(4200)}${']'.repeat(4200)}}`;
    expect(decodeLine(deep)).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/deeper than 64/) });
    const fine = `{"action":"result","fields":[],"id":1,"type":101,"payload":${'['.repeat(63)}${']'.repeat(63)}}`;
    expect(decodeLine(fine).kind).toBe('result');
  });
});
