// The public ring API in one process: arguments, lifecycle, permissions, seeking, lapping arithmetic, coalescing.
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, openSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadNative } from '../../src/addon/native.js';
import { RING_LAYOUT, RecordBatch, RingCorruptError, createRing, openRing, recordBytes, type RingReader, type RingWriter } from '../../src/ring/ring.js';
import { cleanChildren, ringDir, sleep } from './helpers.js';

let dir = '';
let n = 0;
const open: Array<RingWriter | RingReader> = [];

beforeAll(() => {
  dir = ringDir();
});

afterAll(() => {
  for (const x of open) x.close();
  cleanChildren(dir);
});

function ring(capacityBytes = 65536, maxRecordBytes = 1024): { writer: RingWriter; reader: RingReader; path: string } {
  const path = join(dir, `ring-${n++}`);
  const writer = createRing({ path, capacityBytes, maxRecordBytes });
  const reader = openRing(path);
  open.push(writer, reader);
  return { writer, reader, path };
}

const text = (payload: Uint8Array): string => Buffer.from(payload).toString('utf8');

describe('ring API: arguments', () => {
  it('createRing rejects bad options with exact messages', () => {
    const path = join(dir, 'bad');
    const ok = { path, capacityBytes: 4096, maxRecordBytes: 1024 };
    const cases: Array<[unknown, string]> = [
      [undefined, 'TypeError: createRing options must be an object, got undefined'],
      [[1], 'TypeError: createRing options must be an object, got an array'],
      [{ ...ok, path: 'relative/ring' }, 'TypeError: path must be an absolute file path string, got "relative/ring"'],
      [{ ...ok, path: 7 }, 'TypeError: path must be an absolute file path string, got 7'],
      [{ ...ok, capacityBytes: 100 }, 'RangeError: capacityBytes must be an integer power of two between 4096 and 1073741824, got 100'],
      [{ ...ok, capacityBytes: 12288 }, 'RangeError: capacityBytes must be an integer power of two between 4096 and 1073741824, got 12288'],
      [{ ...ok, capacityBytes: '4096' }, 'TypeError: capacityBytes must be an integer power of two between 4096 and 1073741824, got "4096"'],
      [{ ...ok, maxRecordBytes: 1025 }, 'RangeError: maxRecordBytes must be an integer between 1 and 1024 (capacityBytes / 4), got 1025'],
      [{ ...ok, maxRecordBytes: 0 }, 'RangeError: maxRecordBytes must be an integer between 1 and 1024 (capacityBytes / 4), got 0'],
      [{ ...ok, mode: 0o444 }, 'RangeError: mode must be an integer file mode between 0o600 and 0o755 that includes owner read and write (0o600) and no group or other write, got 0o444'],
      [{ ...ok, mode: 0o1640 }, 'RangeError: mode must be an integer file mode between 0o600 and 0o755 that includes owner read and write (0o600) and no group or other write, got 0o1640'],
      [{ ...ok, mode: 0o660 }, 'RangeError: mode must be an integer file mode between 0o600 and 0o755 that includes owner read and write (0o600) and no group or other write, got 0o660'],
      [{ ...ok, mode: 0o602 }, 'RangeError: mode must be an integer file mode between 0o600 and 0o755 that includes owner read and write (0o600) and no group or other write, got 0o602'],
      [{ ...ok, gid: -2 }, 'RangeError: gid must be an integer between 0 and 4294967294, got -2'],
      [{ ...ok, gid: null }, 'TypeError: gid must be an integer between 0 and 4294967294, got null'],
    ];
    for (const [options, message] of cases) {
      expect(() => createRing(options as never), message).toThrow(message.replace(/^\w+: /, ''));
      try {
        createRing(options as never);
      } catch (error) {
        expect(String(error)).toBe(message);
      }
    }
  });

  it('append, read and onReadable reject bad arguments with exact messages', () => {
    const { writer, reader } = ring(4096, 16);
    expect(() => writer.append(-1, 'x')).toThrow(new RangeError('kind must be an integer between 0 and 4294967295, got -1'));
    expect(() => writer.append(1.5, 'x')).toThrow(new RangeError('kind must be an integer between 0 and 4294967295, got 1.5'));
    expect(() => writer.append(1, 42 as never)).toThrow(new TypeError('payload must be a Uint8Array or a string, got 42'));
    expect(() => writer.append(1, [1, 2] as never)).toThrow(new TypeError('payload must be a Uint8Array or a string, got an array'));
    expect(() => writer.append(1, new Uint8Array(17))).toThrow(new RangeError("payload is 17 bytes, more than this ring's maxRecordBytes (16)"));
    expect(() => writer.append(1, 'é'.repeat(9))).toThrow(new RangeError("payload is 18 bytes, more than this ring's maxRecordBytes (16)"));
    expect(writer.append(1, new Uint8Array(16))).toBe(0);
    expect(() => reader.read(-1)).toThrow(new RangeError('fromSeq must be a non-negative safe integer, got -1'));
    expect(() => reader.read('0' as never)).toThrow(new TypeError('fromSeq must be a non-negative safe integer, got "0"'));
    expect(() => reader.read(0, 0)).toThrow(new RangeError('maxRecords must be an integer between 1 and 65536, got 0'));
    expect(() => reader.read(2)).toThrow(new RangeError("fromSeq 2 is past the ring's next sequence 1"));
    expect(() => reader.onReadable('x' as never)).toThrow(new TypeError('listener must be a function, got "x"'));
    expect(() => openRing('ring')).toThrow(new TypeError('path must be an absolute file path string, got "ring"'));
  });

  it('openRing names the file and the reason when it cannot attach', () => {
    const missing = join(dir, 'missing');
    expect(() => openRing(missing)).toThrow(`cannot open ${missing}: No such file or directory`);
    try {
      openRing(missing);
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ENOENT');
    }
    const junk = join(dir, 'junk');
    writeFileSync(junk, Buffer.alloc(8192, 1));
    expect(() => openRing(junk)).toThrow(`${junk} is not a nix-btm ring (bad magic)`);
    const short = join(dir, 'short');
    writeFileSync(short, 'x');
    expect(() => openRing(short)).toThrow(`${short} is not a nix-btm ring (too short)`);
    // A ring others may write proves nothing; a FIFO would block a plain open; a symlink may point anywhere.
    const shared = join(dir, 'group-writable');
    open.push(createRing({ path: shared, capacityBytes: 4096, maxRecordBytes: 64 }));
    chmodSync(shared, 0o660);
    expect(() => openRing(shared)).toThrow(`${shared} is writable by group or others: refusing it`);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => openRing(fifo)).toThrow(`${fifo} is not a regular file`);
    const link = join(dir, 'link');
    symlinkSync(shared, link);
    expect(() => openRing(link)).toThrow(`cannot open ${link}: Too many levels of symbolic links`);
  });
});

describe('ring API: lifecycle', () => {
  it('close twice is fine; use after close throws', () => {
    const { writer, reader } = ring();
    reader.close();
    reader.close();
    writer.close();
    writer.close();
    expect(reader.closed && writer.closed).toBe(true);
    expect(() => writer.append(0, 'x')).toThrow(new Error('ring writer is closed'));
    expect(() => writer.nextSeq).toThrow(new Error('ring writer is closed'));
    expect(() => reader.read(0)).toThrow(new Error('ring reader is closed'));
    expect(() => reader.nextSeq).toThrow(new Error('ring reader is closed'));
    expect(() => reader.writerAlive()).toThrow(new Error('ring reader is closed'));
    expect(() => reader.onReadable(() => {})).toThrow(new Error('ring reader is closed'));
    expect(() => reader.ref()).toThrow(new Error('ring reader is closed'));
  });

  it('a reader outlives its writer and sees it closed', () => {
    const { writer, reader } = ring();
    writer.append(3, 'last words');
    expect(reader.writerAlive()).toBe(true);
    writer.close();
    expect(reader.writerAlive()).toBe(false);
    expect(reader.read(0).records.map((r) => [r.seq, r.kind, text(r.payload)])).toEqual([[0, 3, 'last words']]);
  });

  it('creating a ring again replaces the file; readers of the old one keep it and see its writer gone', () => {
    const { writer, reader, path } = ring();
    writer.append(1, 'old');
    const again = createRing({ path, capacityBytes: 4096, maxRecordBytes: 64 });
    open.push(again);
    writer.close();
    again.append(2, 'new');
    expect(text(reader.read(0).records[0]?.payload ?? new Uint8Array())).toBe('old');
    expect(reader.writerAlive()).toBe(false);
    const fresh = openRing(path);
    open.push(fresh);
    expect(fresh.capacityBytes).toBe(4096);
    expect(text(fresh.read(0).records[0]?.payload ?? new Uint8Array())).toBe('new');
  });
});

  it('the writer maps the whole ring at creation, so appends never pay a first-touch page fault', () => {
    const path = join(dir, `ring-${n++}`);
    const writer = createRing({ path, capacityBytes: 4 << 20, maxRecordBytes: 1024 });
    open.push(writer);
    // The writer's mapping is the shared writable one of this file; its resident size is what its page tables hold.
    const blocks = readFileSync('/proc/self/smaps', 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
    const mine = blocks.find((b) => b.split('\n')[0]!.includes(' rw-s ') && b.split('\n')[0]!.endsWith(` ${path}`));
    expect(mine, 'the writer has a shared writable mapping of the ring').toBeDefined();
    const kB = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(mine!)?.[1] ?? -1);
    expect(kB('Size')).toBeGreaterThanOrEqual(4096);
    expect(kB('Rss')).toBe(kB('Size'));
  });

describe('ring API: data', () => {
  it('round trip of bytes and strings keeps kind, order and sequence numbers', () => {
    const { writer, reader } = ring();
    expect(reader.nextSeq).toBe(0);
    expect(reader.read(0)).toEqual({ records: [], nextSeq: 0 });
    expect(writer.append(7, 'héllo')).toBe(0);
    expect(writer.append(4294967295, new Uint8Array([0, 255]))).toBe(1);
    expect(writer.append(0, '')).toBe(2);
    expect(writer.nextSeq).toBe(3);
    const r = reader.read(0);
    expect(r.lost).toBeUndefined();
    expect(r.nextSeq).toBe(3);
    expect(r.records.map((x) => [x.seq, x.kind, Array.from(x.payload)])).toEqual([
      [0, 7, Array.from(Buffer.from('héllo'))],
      [1, 4294967295, [0, 255]],
      [2, 0, []],
    ]);
  });

  it('reads from any sequence still in the ring, in batches of maxRecords', () => {
    const { writer, reader } = ring();
    for (let i = 0; i < 100; i++) writer.append(i, `record ${i}`);
    expect(reader.read(40, 3).records.map((r) => text(r.payload))).toEqual(['record 40', 'record 41', 'record 42']);
    expect(reader.read(43, 2).nextSeq).toBe(45);
    expect(reader.read(5, 1).records.map((r) => r.seq)).toEqual([5]);
    expect(reader.read(99).records.map((r) => r.kind)).toEqual([99]);
    expect(reader.read(100)).toEqual({ records: [], nextSeq: 100 });
  });

  it('a lapped reader is told the exact lost range, computed from the ring geometry', () => {
    const { writer, reader } = ring(4096, 1024);
    const payload = new Uint8Array(48); // 64 bytes per record: the 4096-byte ring holds exactly 64 records
    expect(recordBytes(payload.length)).toBe(64);
    for (let i = 0; i < 1000; i++) writer.append(1, payload);
    expect(reader.oldestSeq).toBe(936);
    const r = reader.read(0, 10);
    expect(r.lost).toEqual({ from: 0, to: 935 });
    expect(r.records.map((x) => x.seq)).toEqual([936, 937, 938, 939, 940, 941, 942, 943, 944, 945]);
    expect(reader.read(900, 1)).toMatchObject({ lost: { from: 900, to: 935 }, nextSeq: 937 });
    for (let i = 0; i < 64; i++) writer.append(1, payload);
    expect(reader.read(946, 1000)).toMatchObject({ lost: { from: 946, to: 999 }, nextSeq: 1064 });
    expect(reader.stats()).toMatchObject({ lost: 936 + 36 + 54, records: 10 + 1 + 64 });
  });
});

describe('ring API: batches', () => {
  it('appendBatch publishes many records of any kinds in one call, in order, after and before single appends', () => {
    const { writer, reader } = ring(1 << 16, 1024);
    expect(writer.append(7, 'first')).toBe(0);
    const batch = new RecordBatch(3, writer.maxRecordBytes);
    const texts = Array.from({ length: 300 }, (_, i) => (i % 50 === 0 ? '' : `record ${i} ${'é✓'.repeat(i % 7)}`));
    texts.forEach((t, i) => expect(i % 2 ? batch.addString(t) : batch.addBytes(Buffer.from(t), 100 + i)).toBe(true));
    expect(batch.count).toBe(300);
    expect(batch.flush(writer)).toBe(1);
    expect(batch.count).toBe(0);
    expect(batch.flush(writer)).toBe(-1);
    expect(writer.append(7, 'last')).toBe(301);
    const got: { seq: number; kind: number; text: string }[] = [];
    for (let seq = 0; seq < writer.nextSeq;) {
      const r = reader.read(seq);
      got.push(...r.records.map((x) => ({ seq: x.seq, kind: x.kind, text: text(x.payload) })));
      seq = r.nextSeq;
    }
    expect(got).toEqual([{ seq: 0, kind: 7, text: 'first' }, ...texts.map((t, i) => ({ seq: i + 1, kind: i % 2 ? 3 : 100 + i, text: t })),
      { seq: 301, kind: 7, text: 'last' }]);
  });

  it('addStrings stages a header and a body as one record, in UTF-8, refusing a pair over the limit whole', () => {
    const { writer, reader } = ring(1 << 16, 64);
    const batch = new RecordBatch(5, writer.maxRecordBytes);
    const pairs: [string, string][] = [['1700000000000\tnix:1:2\t', '{"action":"msg"}'], ['', 'é✓ body only'], ['head only\t', ''],
      ['', ''], ['é'.repeat(10), 'x'.repeat(44)]]; // the last: exactly 64 bytes
    for (const [h, t] of pairs) expect(batch.addStrings(h, t)).toBe(true);
    expect(batch.addStrings('x'.repeat(40), 'y'.repeat(25))).toBe(false); // 65 units
    expect(batch.addStrings('é'.repeat(20), 'y'.repeat(25))).toBe(false); // 45 units, 65 bytes
    expect(batch.addStrings('ok', '', 9)).toBe(true);
    expect(batch.count).toBe(pairs.length + 1);
    batch.flush(writer);
    const r = reader.read(0);
    expect(r.records.map((x) => ({ kind: x.kind, text: text(x.payload) }))).toEqual([...pairs.map(([h, t]) => ({ kind: 5, text: h + t })),
      { kind: 9, text: 'ok' }]);
    writer.close();
  });

  it('a batch is all or nothing; bad arguments are refused with exact messages', () => {
    const { writer, reader } = ring(1 << 16, 64);
    const metas = new Uint32Array([1, 10, 1, 65, 1, 10]);
    expect(() => writer.appendBatch(new Uint8Array(100), metas, 3)).toThrow(
      'appendBatch: a payload is larger than maxRecordBytes, or the lengths exceed the data (maxRecordBytes 64, data 100 bytes)');
    expect(() => writer.appendBatch(new Uint8Array(15), new Uint32Array([1, 10, 1, 10]), 2)).toThrow(/lengths exceed the data/);
    expect(writer.nextSeq).toBe(0);
    expect(reader.read(0).records).toEqual([]);
    expect(() => writer.appendBatch(new Uint8Array(10), [1, 10] as unknown as Uint32Array, 1)).toThrow(/^metas must be a Uint32Array, got /);
    expect(() => writer.appendBatch(new Uint8Array(10), new Uint32Array(2), 2)).toThrow('count must be an integer between 0 and metas.length / 2 (1), got 2');
    expect(() => writer.appendBatch(new Uint8Array(10), new Uint32Array(2), 0.5)).toThrow(/got 0.5/);
    expect(writer.appendBatch(new Uint8Array(0), new Uint32Array(0), 0)).toBe(0);
    const batch = new RecordBatch(1, 64);
    expect(batch.addString('x'.repeat(65))).toBe(false);
    expect(batch.addString('é'.repeat(33))).toBe(false); // 66 bytes in 33 units
    expect(batch.addBytes(new Uint8Array(65))).toBe(false);
    expect(batch.count).toBe(0);
    expect(() => batch.addString('x', -1)).toThrow(/kind must be/);
    expect(() => new RecordBatch(2 ** 32, 64)).toThrow(/kind must be/);
    writer.close();
    expect(() => writer.appendBatch(new Uint8Array(0), new Uint32Array(0), 0)).toThrow('ring writer is closed');
  });

  it('a batch larger than the staging buffer grows it; a batch that laps the ring leaves the newest records', () => {
    const { writer, reader } = ring(1 << 14, 1 << 12);
    const batch = new RecordBatch(1, writer.maxRecordBytes);
    for (let i = 0; i < 100; i++) expect(batch.addString(String(i).padEnd(4000, '.'))).toBe(true);
    expect(batch.bytes).toBe(400_000);
    expect(batch.flush(writer)).toBe(0);
    const r = reader.read(0);
    expect(r.lost?.from).toBe(0);
    const oldest = r.lost!.to + 1;
    expect(r.records.map((x) => text(x.payload).split('.')[0])).toEqual(Array.from({ length: 100 - oldest }, (_, i) => String(oldest + i)).slice(0, r.records.length));
  });
});

describe('ring API: a damaged file', () => {
  it('bad records throw RingCorruptError; a reader starting at the live edge reads on past the damage', () => {
    const { writer, reader, path } = ring(65536, 1024);
    for (let i = 0; i < 100; i++) writer.append(1, `record ${i}`);
    expect(reader.read(0, 10).records).toHaveLength(10);
    // Only the owner can do this (the mode allows no one else): garbage over every record.
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(65536, 0xa5), 0, 65536, RING_LAYOUT.headerBytes);
    closeSync(fd);
    expect(() => reader.read(10)).toThrow(RingCorruptError);
    expect(() => reader.read(10)).toThrow(`ring ${path} is corrupt after sequence 10`);
    const fresh = openRing(path);
    open.push(fresh);
    const edge = fresh.nextSeq;
    writer.append(1, 'after the damage');
    expect(fresh.read(edge).records.map((r) => text(r.payload))).toEqual(['after the damage']);
  });
});

/** Runs `f` with NIX_BTM_RING_WAIT set to `mode` (read when a wait starts), then restores it. */
function withWait<T>(mode: string | undefined, f: () => T): T {
  const before = process.env.NIX_BTM_RING_WAIT;
  if (mode === undefined) delete process.env.NIX_BTM_RING_WAIT;
  else process.env.NIX_BTM_RING_WAIT = mode;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.NIX_BTM_RING_WAIT;
    else process.env.NIX_BTM_RING_WAIT = before;
  }
}

describe('ring API: waiting and permissions', () => {
  it('a burst of appends costs one readable callback; unsubscribing and closing stop the waiter thread', async () => {
    const { writer, reader } = ring();
    const before = loadNative().activeWaiters();
    let calls = 0;
    const off = reader.onReadable(() => calls++);
    expect(loadNative().activeWaiters()).toBe(before + 1);
    for (let i = 0; i < 1000; i++) writer.append(1, 'burst');
    while (calls === 0) await sleep(5);
    await sleep(100);
    expect(calls).toBe(1);
    writer.append(1, 'one more');
    while (calls === 1) await sleep(5);
    expect(calls).toBe(2);
    off();
    expect(loadNative().activeWaiters()).toBe(before);
    reader.onReadable(() => calls++);
    expect(loadNative().activeWaiters()).toBe(before + 1);
    reader.close();
    expect(loadNative().activeWaiters()).toBe(before);
  });

  it('appendBatch without a wake publishes for readers that read, and wakes a sleeping one only at wake()', async () => {
    const { writer, reader } = ring();
    let calls = 0;
    reader.onReadable(() => calls++);
    await sleep(50); // idle: the reader sleeps on the futex
    const batch = new RecordBatch(1, writer.maxRecordBytes);
    for (const t of ['a', 'b', 'c']) batch.addString(t);
    expect(batch.flush(writer, false)).toBe(0);
    expect(reader.read(0).records.map((r) => text(r.payload))).toEqual(['a', 'b', 'c']);
    await sleep(150);
    expect(calls).toBe(0);
    writer.wake();
    while (calls === 0) await sleep(5);
    expect(calls).toBe(1);
    writer.wake(); // nothing new since: no second wake-up
    await sleep(100);
    expect(calls).toBe(1);
  });

  it('while records keep arriving the waiter polls before it sleeps; an idle ring never polls', async () => {
    const { writer, reader } = ring();
    let calls = 0;
    withWait('thread', () => reader.onReadable(() => calls++));
    expect(reader.stats().wait).toBe('thread');
    await sleep(300);
    expect(reader.stats()).toMatchObject({ spins: 0, spinHits: 0 });
    // Records one at a time: after each report the waiter finds JS idle within the window and polls.
    for (let i = 0; i < 20; i++) {
      const before = calls;
      writer.append(1, `r${i}`);
      while (calls === before) await sleep(1);
    }
    await sleep(50);
    expect(reader.stats().spins).toBeGreaterThan(0);
    reader.close();
  });

  it('a poll that catches nothing turns polling off: records 3 ms apart cost one poll, not one per record', async () => {
    const { writer, reader } = ring();
    let calls = 0;
    let lastNs = 0;
    withWait('thread', () => reader.onReadable(() => {
      calls++;
      lastNs = reader.stats().lastCallNs;
    }));
    for (let i = 0; i < 30; i++) {
      const before = calls;
      writer.append(1, `r${i}`);
      while (calls === before) await sleep(1);
      await sleep(3);
    }
    const s = reader.stats();
    // Every record came 3 ms after the last report: a 50 us poll misses, then the next 63 reports sleep at once.
    // (A record that a loaded machine delays onto a poll can turn it back on once or twice.)
    expect(s.spins).toBeGreaterThanOrEqual(1);
    expect(s.spins).toBeLessThan(5);
    expect(s.spinHits).toBeLessThan(s.spins);
    // The timeline of the last wake-up: the thread saw the word change before the JS thread took the report.
    expect(s.lastSeenNs).toBeGreaterThan(0);
    expect(lastNs).toBeGreaterThanOrEqual(s.lastSeenNs);
    reader.close();
  });

  it('the ring file is mode 0640 by default whatever the umask, or the requested mode and group', () => {
    const oldUmask = process.umask(0o077);
    try {
      const path = join(dir, 'perm-default');
      open.push(createRing({ path, capacityBytes: 4096, maxRecordBytes: 64 }));
      expect(statSync(path).mode & 0o7777).toBe(0o640);
      const gid = process.getgid?.() ?? 0;
      const own = join(dir, 'perm-own');
      open.push(createRing({ path: own, capacityBytes: 4096, maxRecordBytes: 64, mode: 0o600, gid }));
      expect(statSync(own).mode & 0o7777).toBe(0o600);
      expect(statSync(own).gid).toBe(gid);
    } finally {
      process.umask(oldUmask);
    }
  });
});
