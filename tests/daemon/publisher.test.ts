// The publisher's wake-ups: a turn's first event wakes sleeping readers at once, the rest of the turn is published
// without waking (every 32 events) and the end of the turn wakes for it, so a sleeping reader misses nothing; and
// publishAll (a chunk's events at once) leaves the ring and the state as publish() one event at a time does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../src/daemon/publisher.js';
import { readFileSync } from 'node:fs';
import { decodeLine } from '../../src/ingest/decode.js';
import { decodeRecord } from '../../src/protocol/events.js';
import { openRing } from '../../src/ring/ring.js';
import type { BtmEvent } from '../../src/state/events.js';
import { root } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nix-btm-publisher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Publisher wake-ups', () => {
  it('a sleeping reader is woken for the first event of a turn and again for the rest at its end', async () => {
    const ringPath = join(dir, 'wake.ring');
    const publisher = new Publisher({ ringPath, capacityBytes: 1 << 20, mode: 0o600, gid: undefined, onError: (m) => expect.fail(m) });
    const reader = openRing(ringPath);
    let seq = publisher.snapshot().seq;
    const seen: BtmEvent[] = [];
    const wakes: number[] = [];
    reader.onReadable(() => {
      for (let r = reader.read(seq); r.records.length > 0; r = reader.read(seq)) {
        for (const rec of r.records) { const d = decodeRecord(rec.kind, rec.payload); if (d.ok) seen.push(d.event); }
        seq = r.nextSeq;
      }
      wakes.push(seen.length);
    });
    await sleep(50);
    const line = (i: number): string => `@nix {"action":"msg","level":3,"msg":"line ${i}"}`;
    const turn = (from: number, n: number): void => {
      for (let i = from; i < from + n; i++) {
        publisher.publish({ kind: 'nix', at: i, source: 's', record: { kind: 'msg', level: 3, msg: `line ${i}` } }, line(i));
      }
    };
    turn(0, 100); // one turn of 100 events: published at 1, 33, 65, 97 and the end; woken at 1 and at the end
    for (let t = 0; t < 200 && seen.length < 100; t++) await sleep(5);
    expect(seen.map((e) => (e.kind === 'nix' && e.record.kind === 'msg' ? e.record.msg : ''))).toEqual(Array.from({ length: 100 }, (_, i) => `line ${i}`));
    await sleep(100);
    // Two wake-ups at most (the first may find all 100 already, if this process was slow to run the callback).
    expect(wakes.length).toBeLessThanOrEqual(2);
    expect(wakes.at(-1)).toBe(100);
    turn(100, 33); // a turn that ends with a flush of 32 (nothing left staged): its end still wakes for it
    for (let t = 0; t < 200 && seen.length < 133; t++) await sleep(5);
    expect(seen).toHaveLength(133);
    reader.close();
    publisher.close();
  });

  it('a reader in another thread that sleeps again after the first event still gets the rest of the turn at its end', async () => {
    const ringPath = join(dir, 'thread.ring');
    const publisher = new Publisher({ ringPath, capacityBytes: 1 << 20, mode: 0o600, gid: undefined, onError: (m) => expect.fail(m) });
    const from = publisher.snapshot().seq;
    // The reader counts what it read in shared memory: this thread can watch it without leaving its turn.
    const seen = new Int32Array(new SharedArrayBuffer(4));
    const ringModule = pathToFileURL(join(root, 'dist/src/ring/ring.js')).href;
    const worker = new Worker(`
      const { workerData } = require('node:worker_threads');
      import(workerData.ringModule).then(({ openRing }) => {
        const reader = openRing(workerData.ringPath);
        let seq = workerData.from;
        reader.onReadable(() => {
          for (let r = reader.read(seq); r.records.length > 0; r = reader.read(seq)) { seq = r.nextSeq; Atomics.add(workerData.seen, 0, r.records.length); }
        });
        setInterval(() => {}, 1000); // the wait does not keep a thread alive by itself
        Atomics.store(workerData.seen, 0, -1);
      });`, { eval: true, workerData: { ringModule, ringPath, from, seen } });
    try {
      for (let t = 0; t < 1000 && Atomics.load(seen, 0) !== -1; t++) await sleep(5);
      await sleep(50); // the reader now sleeps on the futex
      Atomics.store(seen, 0, 0);
      const event = (i: number): BtmEvent => ({ kind: 'nix', at: i, source: 's', record: { kind: 'stop', id: String(i) } });
      // One turn: the first event wakes the reader; this thread waits (inside the turn) until the reader has read it
      // and slept again; the next 32 are then published without a wake-up, and the turn ends with nothing staged.
      publisher.publish(event(0), `@nix {"action":"stop","id":0}`);
      const until = Date.now() + 5000;
      while (Atomics.load(seen, 0) < 1 && Date.now() < until) { /* spin: the reader runs in its own thread */ }
      expect(Atomics.load(seen, 0)).toBe(1);
      const settle = Date.now() + 50;
      while (Date.now() < settle) { /* the reader goes back to sleep */ }
      for (let i = 1; i <= 32; i++) publisher.publish(event(i), `@nix {"action":"stop","id":${i}}`);
      expect(Atomics.load(seen, 0)).toBe(1); // published, not woken for
      // The end of the turn wakes it for them.
      for (let t = 0; t < 400 && Atomics.load(seen, 0) < 33; t++) await sleep(5);
      expect(Atomics.load(seen, 0)).toBe(33);
    } finally {
      await worker.terminate();
      publisher.close();
    }
  });

  it('publishAll gives the ring and the state that publish() one event at a time gives, refusals included', () => {
    const lines = readFileSync(join(root, 'tests/fixtures/captures/log-daemon-root-graph-success.jsonl'), 'utf8').split('\n')
      .filter((l) => l !== '');
    // A line over the ring's limit (a quarter of 64 KiB), as a line and as JSON: refused by both, reduced by neither.
    lines.splice(40, 0, `@nix {"action":"msg","level":3,"msg":"${'x'.repeat(20_000)}"}`);
    const events = lines.map((line, i): BtmEvent => ({ kind: 'nix', at: 1_700_000_000_000 + i, source: 'nix:1:1', record: decodeLine(line) }));
    const errors: string[][] = [[], []];
    const run = (name: string, k: number, publish: (p: Publisher) => void): { records: unknown[]; state: unknown; refused: number } => {
      const ringPath = join(dir, name);
      const publisher = new Publisher({ ringPath, capacityBytes: 1 << 16, mode: 0o600, gid: undefined, onError: (m) => errors[k]!.push(m) });
      const reader = openRing(ringPath);
      publisher.publish({ kind: 'source-open', at: 1, source: 'nix:1:1', info: { via: 'socket', pid: 1, uid: 0, user: 'root', command: 'nix build' } });
      publish(publisher);
      const { seq, snapshot } = publisher.snapshot();
      const records: unknown[] = [];
      for (let at = 0; at < seq;) {
        const r = reader.read(at);
        expect(r.lost).toBeUndefined();
        records.push(...r.records.map((x) => decodeRecord(x.kind, x.payload)));
        at = r.nextSeq;
      }
      const out = { records, state: snapshot, refused: publisher.refusedEvents };
      reader.close();
      publisher.close();
      return out;
    };
    const one = run('one.ring', 0, (p) => events.forEach((e, i) => p.publish(e, lines[i])));
    const all = run('all.ring', 1, (p) => { for (let i = 0; i < events.length; i += 25) p.publishAll(events.slice(i, i + 25), lines.slice(i, i + 25)); });
    expect(one.refused).toBe(1);
    expect(all).toEqual(one);
    expect(errors[1]).toEqual(errors[0]);
    expect(one.records).toHaveLength(events.length); // the source's opening, and every line but the refused one
  });
});
