// The wire codec of src/protocol: every event kind through a real ring and back, the record kind read, every wrong
// shape refused with its reason (never cast, never thrown), and fuzzed payloads that never throw.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDecoder } from '../../src/ingest/decode.js';
import { decodeEventArray, decodeEventText, decodeRecord, encodeEvent, encodeResult, RECORD_KIND_EVENT } from '../../src/protocol/events.js';
import { checkEvent } from '../../src/protocol/event-shape.js';
import { createRing, openRing, RecordBatch } from '../../src/ring/ring.js';
import type { BtmEvent, ProcessInfo } from '../../src/state/events.js';
import { fuzzSeed, prng } from '../fuzz-helpers.js';
import { root } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nix-btm-protocol-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const proc: ProcessInfo = { pid: 10, ppid: 1, pgid: 10, uid: 30001, user: 'nixbld1', state: 'R', cpuPercent: 12.5,
  rssBytes: 4096, startedAt: 1_700_000_000_000, command: 'bash -e builder.sh', role: 'builder', drvPath: '/nix/store/a-x.drv' };

/** One event of every kind, and every NixRecord kind, with optional fields both present and absent. */
const EVERY_KIND: BtmEvent[] = [
  { kind: 'source-open', at: 1, source: 's', info: { via: 'socket', pid: 5, uid: 0, user: 'root', command: 'nix-daemon',
    daemonWorker: true, peer: { pid: 6, uid: 0 }, attributedBy: 'client-socket' } },
  { kind: 'source-open', at: null, source: 's2', info: { via: 'replay', pid: null, uid: null, user: null, command: 'x.log' } },
  { kind: 'nix', at: 2, source: 's', record: { kind: 'start', id: '123456789012345678', level: 3, type: 105, text: 'building',
    parent: '0', fields: ['/nix/store/a-x.drv', '', 1, 1] } },
  { kind: 'nix', at: 3, source: 's', record: { kind: 'stop', id: '1' } },
  { kind: 'nix', at: 4, source: 's', record: { kind: 'result', id: '1', type: 101, fields: ['a line ✓'] } },
  { kind: 'nix', at: 4, source: 's', record: { kind: 'result', id: '1', type: 110, fields: [], payload: { status: 'Built', n: [1, 2] } } },
  { kind: 'nix', at: 5, source: 's', record: { kind: 'msg', level: 0, msg: 'error: x', rawMsg: 'x', file: null, line: 3, column: null } },
  { kind: 'nix', at: 5, source: 's', record: { kind: 'msg', level: 3, msg: 'plain' } },
  { kind: 'nix', at: 6, source: 's', record: { kind: 'text', text: 'not a record' } },
  { kind: 'nix', at: 6, source: 's', record: { kind: 'invalid', reason: 'bad json', sample: '{"act' } },
  { kind: 'source-close', at: 7, source: 's', exitCode: null, reason: 'vanished' },
  { kind: 'drv-info', at: 8, info: { drvPath: '/nix/store/a-x.drv', name: 'x', outputs: { out: '/nix/store/b-x' },
    inputDrvs: ['/nix/store/c-y.drv'], system: 'x86_64-linux' } },
  { kind: 'outputs-valid', at: 9, drvPath: '/nix/store/a-x.drv', valid: false },
  { kind: 'proc-scan', at: 10, processes: [proc], host: { hostname: 'h', nixVersion: null, cpuPercent: [1, 2],
    memTotalBytes: 8, memUsedBytes: 4, load: [0.5, 0.25, 0] } },
  { kind: 'proc-scan', at: 11, processes: [], host: null },
  { kind: 'local-build', at: 12, source: 'local:1', drvPath: '/nix/store/a-x.drv', status: 'failed', reason: 'no outputs' },
];

describe('event records on the wire', () => {
  it('every event kind goes through a real ring in one batch and decodes to an equal event', () => {
    const path = join(dir, 'kinds.ring');
    const writer = createRing({ path, capacityBytes: 1 << 16, maxRecordBytes: 1 << 14 });
    const reader = openRing(path);
    const batch = new RecordBatch(RECORD_KIND_EVENT, writer.maxRecordBytes);
    for (const e of EVERY_KIND) expect(encodeEvent(e, batch)).toEqual({ ok: true });
    expect(batch.flush(writer)).toBe(0);
    const { records } = reader.read(0);
    expect(records.map((r) => r.kind)).toEqual(EVERY_KIND.map(() => RECORD_KIND_EVENT));
    expect(records.map((r) => decodeRecord(r.kind, r.payload))).toEqual(EVERY_KIND.map((event) => ({ ok: true, event })));
    // The proxy's wire carries the same payloads as text: the same events, the same checks.
    expect(records.map((r) => decodeEventText(Buffer.from(r.payload).toString('utf8')))).toEqual(EVERY_KIND.map((event) => ({ ok: true, event })));
    reader.close();
    writer.close();
  });

  it('a batch of text records (the proxy\'s batch framing): the same events in order; one bad record refuses the batch', () => {
    const texts = EVERY_KIND.map((e) => JSON.stringify(e));
    expect(decodeEventArray(`[${texts.join(',')}]`)).toEqual({ ok: true, events: EVERY_KIND });
    expect(decodeEventArray('[]')).toEqual({ ok: true, events: [] });
    expect(decodeEventArray(`[${texts[0]},{"kind":"nope"}]`)).toMatchObject({ ok: false, reason: expect.stringMatching(/^record 1 of a batch: /) });
    expect(decodeEventArray(texts[0]!)).toEqual({ ok: false, reason: 'a batch of records that is not a JSON array' });
    expect(decodeEventArray(`[${texts[0]}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/^a batch of records that is not JSON/) });
  });

  it('a text record that is not JSON, or not an event, is refused with its reason', () => {
    expect(decodeEventText('{"kind":')).toMatchObject({ ok: false, reason: expect.stringMatching(/^a ring record that is not JSON/) });
    expect(decodeEventText('{"kind":"proc-scan"}')).toEqual(checkEvent({ kind: 'proc-scan' }));
    expect(decodeEventText('{"kind":"proc-scan"}').ok).toBe(false);
  });

  it('an event over the record limit is refused with its size, and nothing is staged', () => {
    const batch = new RecordBatch(RECORD_KIND_EVENT, 200);
    const big: BtmEvent = { kind: 'nix', at: 1, source: 's', record: { kind: 'text', text: 'é'.repeat(150) } };
    const r = encodeEvent(big, batch);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/^a nix event of 3\d\d bytes is over the ring record limit 200$/);
    expect(batch.count).toBe(0);
    const cyclic: Record<string, unknown> = { kind: 'nix' };
    cyclic.self = cyclic;
    expect(encodeEvent(cyclic as unknown as BtmEvent, batch)).toMatchObject({ ok: false, reason: expect.stringMatching(/^cannot encode a nix event/) });
  });

  it('a record of another kind, not JSON, or not an event is refused with the reason', () => {
    const bytes = (v: unknown): Uint8Array => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
    const good = EVERY_KIND[2]!;
    const cases: [number, Uint8Array, string][] = [
      [3, bytes(good), 'a ring record of kind 3, not an event (1) nor a Nix line (2)'],
      [2, bytes(good), 'a Nix line record without its time and source'],
      [2, Buffer.from('\t\t{"action":"stop","id":1}'), 'a Nix line record without its time and source'],
      [2, Buffer.from('x1\ts\t{"action":"stop","id":1}'), 'a Nix line record with a bad time (x1)'],
      [1, bytes('{"kind":"nix",'), 'a ring record that is not JSON'],
      [1, Buffer.from([0xff, 0xfe, 0x00]), 'a ring record that is not JSON'],
      [1, bytes(null), 'not an object'],
      [1, bytes([good]), 'not an object'],
      [1, bytes({ ...good, kind: 'nix-2' }), 'unknown event kind "nix-2"'],
      [1, bytes({ ...good, kind: 'constructor' }), 'unknown event kind "constructor"'],
      [1, bytes({ ...good, at: '1' }), 'a nix event: at: not a number'],
      [1, bytes({ ...good, source: 5 }), 'a nix event: source: not a string'],
      [1, bytes({ ...good, record: { kind: 'start', id: 1 } }), 'a nix event: record: id: not a string'],
      [1, bytes({ ...good, record: { kind: 'start', id: '1', level: 3, type: 105, text: '', parent: '0', fields: [{}] } }),
        'a nix event: record: fields: [0] not a string or number'],
      [1, bytes({ ...good, record: { kind: 'mystery' } }), 'a nix event: record: unknown record kind "mystery"'],
      [1, bytes({ ...EVERY_KIND[0]!, info: { ...(EVERY_KIND[0] as { info: object }).info, via: 'ssh' } }),
        'a source-open event: info: via: not one of socket, run, feed, replay, left-file, local'],
      [1, bytes({ kind: 'proc-scan', at: 1, processes: [{ ...proc, pid: null }], host: null }),
        'a proc-scan event: processes: [0] pid: not a number'],
      [1, bytes({ kind: 'proc-scan', at: 1, processes: [], host: { hostname: 'h', nixVersion: null, cpuPercent: [],
        memTotalBytes: 1, memUsedBytes: 1, load: [1, 2] } }), 'a proc-scan event: host: load: not three numbers'],
      [1, bytes({ kind: 'drv-info', at: 1, info: { drvPath: 'a', name: 'b', outputs: { out: 1 }, inputDrvs: [], system: 's' } }),
        'a drv-info event: info: outputs: out: not a string'],
      [1, bytes({ kind: 'source-close', at: 1, source: 's', exitCode: 0, reason: 'done' }),
        'a source-close event: reason: not one of eof, vanished, error'],
    ];
    for (const [kind, payload, reason] of cases) {
      const r = decodeRecord(kind, payload);
      expect(r.ok, reason).toBe(false);
      expect(!r.ok && r.reason, reason).toContain(reason);
    }
  });

  it('fuzzed payloads (bytes of real events flipped, cut, spliced) never throw, and what passes is an event', () => {
    const seed = fuzzSeed('protocol decode fuzz');
    const r = prng(seed);
    const encoded = EVERY_KIND.map((e) => Buffer.from(JSON.stringify(e)));
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const base = Buffer.from(encoded[Math.floor(r() * encoded.length)]!);
      const mutations = 1 + Math.floor(r() * 3);
      let payload: Buffer = base;
      for (let m = 0; m < mutations; m++) {
        const at = Math.floor(r() * payload.length);
        const what = r();
        if (what < 0.4) payload[at] = Math.floor(r() * 256);
        else if (what < 0.7) payload = payload.subarray(0, at);
        else payload = Buffer.concat([payload.subarray(0, at), Buffer.from('"x",1,null,{}[]'.slice(Math.floor(r() * 10))), payload.subarray(at)]);
      }
      const d = decodeRecord(RECORD_KIND_EVENT, payload);
      if (!d.ok) { refused++; continue; }
      // What passes must be an event through and through: checking it again (after a JSON round trip) agrees.
      expect(checkEvent(JSON.parse(JSON.stringify(d.event))).ok, `seed ${seed}`).toBe(true);
    }
    expect(refused).toBeGreaterThan(10_000);
  });

  it('the template for result events writes what JSON.stringify writes, for every line of a real capture', () => {
    const lines = readFileSync(join(root, 'tests/fixtures/captures/log-daemon-root-graph-success.jsonl'), 'utf8').split('\n');
    const decoder = createDecoder();
    let templated = 0;
    for (const [i, line] of lines.entries()) {
      if (line === '') continue;
      const event: BtmEvent = { kind: 'nix', at: i % 2 === 0 ? 1_764_590_000_000 + i : null, source: 'nix:42:1 "quoted"', record: decoder.decode(line) };
      const text = encodeResult(event);
      if (text === null) { expect(event.kind === 'nix' && event.record.kind === 'result').toBe(false); continue; }
      templated++;
      expect(text).toBe(JSON.stringify(event));
    }
    expect(templated).toBeGreaterThan(300);
    // What JSON would write differently, or what the template does not know, goes to JSON.stringify.
    const odd: BtmEvent[] = [
      { kind: 'nix', at: Number.NaN, source: 's', record: { kind: 'result', id: '1', type: 101, fields: ['x'] } },
      { kind: 'nix', at: 1, source: 's', record: { kind: 'result', id: '1', type: Number.POSITIVE_INFINITY, fields: [] } },
      { kind: 'nix', at: 1, source: 's', record: { kind: 'result', id: '1', type: 110, fields: [], payload: { a: 1 } } },
      { kind: 'nix', at: 1, source: 's', record: { kind: 'result', id: '1', type: 101 } as never },
    ];
    for (const e of odd) expect(encodeResult(e)).toBeNull();
    const f: BtmEvent = { kind: 'nix', at: -0, source: 's', record: { kind: 'result', id: '1', type: 105, fields: [1e21, -5, 0.5, 'a\u2028"\\'] } };
    expect(encodeResult(f)).toBe(JSON.stringify(f));
  });
});
