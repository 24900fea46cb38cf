// The client's end of the protocol, against a stand-in daemon (a real control socket and a real ring written by the
// test): a record that fails validation is counted and reported, never applied, and costs a re-snapshot; a daemon
// of another version is refused before its snapshot or ring is read.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { subscribe, hello } from '../../src/client/daemon-client.js';
import { onJsonLines, sendJson } from '../../src/client/json-lines.js';
import { encodeEvent, RECORD_KIND_EVENT } from '../../src/protocol/events.js';
import { OUR_VERSIONS } from '../../src/protocol/version.js';
import { createRing, RecordBatch, type RingWriter } from '../../src/ring/ring.js';
import { initialState } from '../../src/state/reducer.js';
import { toSnapshot } from '../../src/state/snapshot.js';

const dir = mkdtempSync(join(tmpdir(), 'nix-btm-subscribe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Answers every hello with `reply(seq)` and counts them; refuses anything else (a wake FIFO), as an older daemon. */
function standIn(name: string, reply: (seq: number) => object, ring: RingWriter): Promise<{ server: Server; hellos: () => number }> {
  let hellos = 0;
  const server = createServer((s) => onJsonLines(s, (msg) => {
    const op = (msg as { op?: unknown }).op;
    if (op !== 'hello') return void sendJson(s, { ok: false, op: String(op), reason: `unknown request ${JSON.stringify(op)}` });
    hellos++;
    sendJson(s, reply(ring.nextSeq));
  }, () => s.destroy()));
  return new Promise((resolve) => server.listen(join(dir, name), () => resolve({ server, hellos: () => hellos })));
}

const helloReply = (ringPath: string) => (seq: number): object => ({ ok: true, op: 'hello', ...OUR_VERSIONS, ringPath, seq,
  snapshot: toSnapshot(initialState()), daemon: { pid: process.pid, startedAt: 0, runtimeDir: dir, nixLogSocket: '' } });

describe('subscribe() and records that fail validation', () => {
  it('applies good records; a bad one is counted, reported, never applied, and followed by a re-snapshot', async () => {
    const ringPath = join(dir, 'a.ring');
    const ring = createRing({ path: ringPath, capacityBytes: 1 << 16, maxRecordBytes: 1 << 12 });
    const { server, hellos } = await standIn('a.sock', helloReply(ringPath), ring);
    const damage: string[] = [];
    const f = await subscribe(join(dir, 'a.sock'), { onDamage: (why) => damage.push(why) });
    const batch = new RecordBatch(RECORD_KIND_EVENT, ring.maxRecordBytes);
    encodeEvent({ kind: 'outputs-valid', at: 1, drvPath: '/nix/store/a-x.drv', valid: true }, batch);
    batch.flush(ring);
    expect(f.poll()).toEqual({ alive: true, lost: 0, applied: 1, invalid: 0 });
    expect(f.state.eventCount).toBe(1);
    // A record of the right kind but the wrong shape, then one of an unknown kind.
    ring.append(RECORD_KIND_EVENT, JSON.stringify({ kind: 'outputs-valid', at: 2, drvPath: 7, valid: true }));
    expect(f.poll()).toEqual({ alive: true, lost: 0, applied: 0, invalid: 1 });
    expect(f.state.eventCount).toBe(1);
    expect(damage).toEqual([`ring record 1 is not a valid event: an outputs-valid event: drvPath: not a string`]);
    await new Promise((r) => setTimeout(r, 200));
    expect(hellos()).toBe(2);
    expect(f.state.eventCount).toBe(0); // the stand-in's snapshot
    ring.append(9, 'x');
    expect(f.poll().invalid).toBe(1);
    expect(damage[1]).toBe('ring record 2 is not a valid event: a ring record of kind 9, not an event (1) nor a Nix line (2)');
    expect(f.invalidRecords).toBe(2);
    f.close();
    ring.close();
    server.close();
  });

  it('a daemon of another protocol is refused, naming both versions, before its snapshot is used', async () => {
    const ringPath = join(dir, 'b.ring');
    const ring = createRing({ path: ringPath, capacityBytes: 1 << 16, maxRecordBytes: 1 << 12 });
    // What a protocol 1 daemon answered: no event or snapshot version, a snapshot of another shape.
    const { server } = await standIn('b.sock', (seq) => ({ ok: true, op: 'hello', version: 1, ringPath, seq, snapshot: { version: 2 },
      daemon: { pid: 1, startedAt: 0, runtimeDir: dir, nixLogSocket: '' } }), ring);
    await expect(hello(join(dir, 'b.sock'))).rejects.toThrow(
      `this client speaks protocol ${OUR_VERSIONS.version}, events ${OUR_VERSIONS.eventVersion}, snapshots ${OUR_VERSIONS.snapshotVersion}, ` +
      'the daemon protocol 1, events ?, snapshots ?: run the same nix-btm version for both');
    ring.close();
    server.close();
  });
});
