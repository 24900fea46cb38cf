// The daemon's whole event path under fuzzing: 100,000+ real records from tests/fixtures, a third of them mutated
// (seeded; NIX_BTM_FUZZ_SEED replays a failure), through the line splitter and decoder, the daemon's reducer and the
// publisher's encoding into a real ring, then a real ring reader, the client's decoding and a second reducer.
// Nothing may throw, and the client's snapshot must equal the daemon's, exactly (Infinity and -0 told apart).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reduceSafely } from '../../src/client/daemon-client.js';
import { Publisher } from '../../src/daemon/publisher.js';
import { openLogSource, type LogSource } from '../../src/ingest/log-source.js';
import { decodeRecord } from '../../src/protocol/events.js';
import { RECORD_KIND_NIX_LINE } from '../../src/protocol/nix-line.js';
import { openRing } from '../../src/ring/ring.js';
import type { State } from '../../src/state/model.js';
import { initialState } from '../../src/state/reducer.js';
import { toSnapshot } from '../../src/state/snapshot.js';
import { fuzzSeed, mutate, prng, realRecords } from '../fuzz-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nix-btm-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exact = (s: State): string => JSON.stringify(toSnapshot(s), (_k, x: unknown) =>
  (typeof x === 'number' && (!Number.isFinite(x) || Object.is(x, -0)) ? `number:${Object.is(x, -0) ? '-0' : String(x)}` : x));

/** null when equal, else both sides around the first difference (a whole snapshot is too long to read). */
function difference(a: string, b: string): string | null {
  if (a === b) return null;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `client …${a.slice(Math.max(0, i - 120), i + 120)}… vs daemon …${b.slice(Math.max(0, i - 120), i + 120)}…`;
}

const RECORDS = 100_000;

describe('fuzzing decoder -> reducer -> publisher -> ring -> client decode -> reducer', () => {
  it(`${RECORDS} mutated real records: no exception, client state == daemon state`, () => {
    const seed = fuzzSeed('pipeline fuzz');
    const r = prng(seed);
    const errors: string[] = [];
    const publisher = new Publisher({ ringPath: join(dir, 'fuzz.ring'), capacityBytes: 16 << 20, mode: 0o600, gid: undefined,
      onError: (m) => errors.push(m) });
    const reader = openRing(join(dir, 'fuzz.ring'));
    let client = initialState();
    let seq = publisher.snapshot().seq;
    let clientEvents = 0;
    let lineRecords = 0;
    const drain = (): void => {
      for (;;) {
        const res = reader.read(seq);
        expect(res.lost, `seed ${seed}: the reader was lapped`).toBeUndefined();
        for (const rec of res.records) {
          const e = decodeRecord(rec.kind, rec.payload);
          if (!e.ok) expect.fail(`seed ${seed}: ring record ${rec.seq} did not decode: ${e.reason}`);
          client = reduceSafely(client, e.event);
          clientEvents++;
          if (rec.kind === RECORD_KIND_NIX_LINE) lineRecords++;
        }
        seq = res.nextSeq;
        if (res.records.length === 0) return;
      }
    };
    const records = realRecords();
    let now = 1_700_000_000_000;
    let source: LogSource | null = null;
    let sources = 0;
    let mutated = 0;
    for (let i = 0; i < RECORDS; i++) {
      if (!source || r() < 1 / 3000) {
        source?.end(r() < 0.5 ? 0 : null, r() < 0.5 ? 'eof' : 'vanished');
        source = openLogSource({ source: `fuzz:${++sources}`, emit: (e, l) => publisher.publish(e, l), clock: () => (now += 7),
          info: { via: 'socket', pid: 1000 + sources, uid: 1000, user: 'fuzz', command: 'nix-build' }, maxLineBytes: 64 << 10 });
      }
      let line = records[i % records.length]!;
      if (r() < 1 / 3) { line = mutate(line, r); mutated++; }
      source.push(Buffer.from(line + '\n'));
      // The publisher stages a turn's events and appends them in one batch: flush as the end of a turn would.
      if (i % 200 === 199) { publisher.flush(); drain(); }
      if (i % 20_000 === 19_999) expect(difference(exact(client), exact(publisher.current)), `seed ${seed}, after ${i + 1} records`).toBeNull();
    }
    source?.end(0, 'eof');
    publisher.flush();
    drain();
    expect(difference(exact(client), exact(publisher.current)), `seed ${seed}, at the end`).toBeNull();
    expect(mutated).toBeGreaterThan(RECORDS / 4);
    expect(clientEvents).toBeGreaterThan(RECORDS);
    // Most records went as the line they were decoded from (the client decoded them itself), the rest as JSON.
    expect(lineRecords).toBeGreaterThan(RECORDS / 2);
    expect(lineRecords).toBeLessThan(clientEvents);
    // Refusals happen only for events over the ring record limit; none of these are.
    expect(errors, `seed ${seed}`).toEqual([]);
    expect(publisher.current.decodeErrors, `seed ${seed}`).toBeGreaterThan(1000);
    reader.close();
    publisher.close();
    // Bounded by the record count; the timeout only leaves room for a loaded machine (CI shares its cores).
  }, 180_000);
});
