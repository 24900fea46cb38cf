// Ring records that hold a Nix line (src/protocol/nix-line.ts): every line of the real captures, as the daemon reads
// them (line splitter, decoder, publisher), through a real ring and the client's decoding, gives the daemon's own
// event; what cannot go as a line goes as JSON; and the decoder's output on the captures is pinned, since it is now
// part of the wire.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../src/daemon/publisher.js';
import { decodeLine } from '../../src/ingest/decode.js';
import { openLogSource } from '../../src/ingest/log-source.js';
import { decodeRecord, RECORD_KIND_EVENT } from '../../src/protocol/events.js';
import { encodeNixLine, RECORD_KIND_NIX_LINE } from '../../src/protocol/nix-line.js';
import { EVENT_VERSION } from '../../src/protocol/version.js';
import { openRing, RecordBatch, type RingRecord } from '../../src/ring/ring.js';
import type { BtmEvent } from '../../src/state/events.js';
import { root } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nix-btm-nix-line-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Real captures: json-log-path and internal-json of Nix 2.30.5 and 2.8, failures, interrupts, two clients. */
const CAPTURES = ['captures/log-daemon-root-graph-success.jsonl', 'captures/log-daemon-root-graph-fail-libgamma-keep-going.jsonl',
  'captures/log-daemon-root-graph-sigint.jsonl', 'captures/log-daemon-root-two-clients-1-release.jsonl',
  'captures/log-singleuser-graph-fail-libgamma.jsonl', 'nix-2.8/log-daemon-root-dag-success.jsonl',
  'nix-2.8/log-daemon-root-fail-single.jsonl', 'nix-2.8/log-error-eval-missing-file.jsonl'];
const capture = (name: string): string => readFileSync(join(root, 'tests/fixtures', name), 'utf8');

describe('Nix line records', () => {
  it('every line of real captures, read as the daemon reads it, decodes on the client to the daemon\'s event', () => {
    const ringPath = join(dir, 'captures.ring');
    const publisher = new Publisher({ ringPath, capacityBytes: 1 << 24, mode: 0o600, gid: undefined, onError: (m) => expect.fail(m) });
    const reader = openRing(ringPath);
    const published: BtmEvent[] = [];
    let now = 1_700_000_000_000;
    for (const [i, name] of CAPTURES.entries()) {
      const log = openLogSource({ source: `nix:${100 + i}:${i}`, clock: () => (now += 3),
        info: { via: 'socket', pid: 100 + i, uid: 0, user: 'root', command: 'nix build' },
        emit: (e, line) => { published.push(e); publisher.publish(e, line); } });
      // Chunks that cut lines anywhere, as reads of a socket do.
      const bytes = Buffer.from(capture(name));
      for (let at = 0; at < bytes.length; at += 4093) log.push(bytes.subarray(at, at + 4093));
      log.end(0, 'eof');
    }
    publisher.flush();
    const records: RingRecord[] = [];
    for (let seq = 0, more = true; more;) {
      const r = reader.read(seq);
      records.push(...r.records.map((x) => ({ ...x, payload: Buffer.from(x.payload) }))); // views die with the next read
      more = r.records.length > 0;
      seq = r.nextSeq;
    }
    expect(records.map((r) => decodeRecord(r.kind, r.payload))).toEqual(published.map((event) => ({ ok: true, event })));
    // The lines went as lines; only the sources' opening and closing went as JSON.
    const kinds = records.map((r) => r.kind);
    expect(kinds.filter((k) => k === RECORD_KIND_EVENT)).toHaveLength(2 * CAPTURES.length);
    expect(kinds.filter((k) => k === RECORD_KIND_NIX_LINE).length).toBe(published.length - 2 * CAPTURES.length);
    reader.close();
    publisher.close();
  });

  it('lines of sources taking turns, chunk by chunk, each carry their own time and source', () => {
    const ringPath = join(dir, 'turns.ring');
    const publisher = new Publisher({ ringPath, capacityBytes: 1 << 24, mode: 0o600, gid: undefined, onError: (m) => expect.fail(m) });
    const reader = openRing(ringPath);
    const published: BtmEvent[] = [];
    let now = 1_700_000_000_000;
    // Two sources with the same times, one without: only the source tells the first two's lines apart.
    const logs = [0, 1, 2].map((i) => openLogSource({ source: `nix:${200 + i}:${i}`, clock: () => (i === 2 ? null : now),
      info: { via: 'socket', pid: 200 + i, uid: 0, user: 'root', command: 'nix build' },
      emit: (e, line) => { published.push(e); publisher.publish(e, line); } }));
    const bytes = CAPTURES.slice(0, 3).map((name) => Buffer.from(capture(name)));
    for (let at = 0; bytes.some((b) => at < b.length); at += 1500, now += 7) {
      logs.forEach((log, i) => { if (at < bytes[i]!.length) log.push(bytes[i]!.subarray(at, at + 1500)); });
    }
    logs.forEach((log) => log.end(0, 'eof'));
    publisher.flush();
    const got: unknown[] = [];
    for (let seq = 0, more = true; more;) {
      const r = reader.read(seq);
      got.push(...r.records.map((x) => decodeRecord(x.kind, Buffer.from(x.payload))));
      more = r.records.length > 0;
      seq = r.nextSeq;
    }
    expect(got).toEqual(published.map((event) => ({ ok: true, event })));
    expect(new Set(published.map((e) => ('source' in e ? e.source : null))).size).toBe(3);
    reader.close();
    publisher.close();
  });

  it('what a line record cannot carry exactly goes as JSON, and the client still gets the daemon\'s event', () => {
    const batch = new RecordBatch(RECORD_KIND_EVENT, 256);
    const line = '@nix {"action":"stop","id":7}';
    const nix = (source: string, at: number | null, text: string): BtmEvent => ({ kind: 'nix', at, source, record: decodeLine(text) });
    expect(encodeNixLine(nix('s', 5, line), line, batch)).toBe(true);
    expect(encodeNixLine(nix('s', null, line), line, batch)).toBe(true);
    expect(encodeNixLine(nix('s\tt', 5, line), line, batch)).toBe(false); // a tab would end the source early
    expect(encodeNixLine(nix('', 5, line), line, batch)).toBe(false);
    expect(encodeNixLine(nix('s', Number.NaN, line), line, batch)).toBe(false);
    const lone = '@nix {"action":"msg","level":3,"msg":"\ud800"}'.replace('\\ud800', '\ud800');
    expect(encodeNixLine(nix('s', 5, lone), lone, batch)).toBe(false); // UTF-8 would make it U+FFFD
    const bad = '@nix {"action":';
    expect(decodeLine(bad).kind).toBe('invalid');
    expect(encodeNixLine(nix('s', 5, bad), bad, batch)).toBe(false); // its JSON event holds a sample, not the line
    expect(encodeNixLine({ kind: 'outputs-valid', at: 1, drvPath: '/nix/store/a-x.drv', valid: true }, line, batch)).toBe(false);
    const long = `@nix {"action":"msg","level":3,"msg":"${'x'.repeat(300)}"}`;
    expect(encodeNixLine(nix('s', 5, long), long, batch)).toBe(false); // over this batch's record limit
    expect(batch.count).toBe(2);

    // The same refusals inside the publisher: each event still reaches the client, as JSON.
    const ringPath = join(dir, 'fallback.ring');
    const publisher = new Publisher({ ringPath, capacityBytes: 1 << 16, mode: 0o600, gid: undefined, onError: (m) => expect.fail(m) });
    const reader = openRing(ringPath);
    const events: [BtmEvent, string][] = [[nix('s', 5, line), line], [nix('s\tt', 5, line), line], [nix('s', 6, lone), lone],
      [nix('s', 7, bad), bad], [nix('s', null, line), line]];
    for (const [e, l] of events) publisher.publish(e, l);
    publisher.flush();
    const { records } = reader.read(0);
    expect(records.map((r) => r.kind)).toEqual([RECORD_KIND_NIX_LINE, RECORD_KIND_EVENT, RECORD_KIND_EVENT, RECORD_KIND_EVENT, RECORD_KIND_NIX_LINE]);
    expect(records.map((r) => decodeRecord(r.kind, r.payload))).toEqual(events.map(([event]) => ({ ok: true, event })));
    reader.close();
    publisher.close();
  });

  it('the decoder\'s output on the captures is pinned to the event version (clients decode lines themselves)', () => {
    // If this fails, decodeLine now gives other records for some real line: a daemon and a client of different
    // builds would hold different states from the same ring. Bump EVENT_VERSION (src/state/events.ts) and the pin.
    const hash = createHash('sha256');
    for (const name of CAPTURES) for (const l of capture(name).split('\n')) hash.update(JSON.stringify(decodeLine(l)) + '\n');
    expect({ eventVersion: EVENT_VERSION, decoded: hash.digest('hex').slice(0, 16) }).toEqual({ eventVersion: 4, decoded: 'bb3219b782010246' });
  });
});
