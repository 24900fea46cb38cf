// The pieces that bound what a peer costs: request shape checks, per-uid connection counts, the shared line budget,
// the rotated and rate-limited daemon.log.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultLimits, PeerCounter } from '../../src/daemon/limits.js';
import { logFile, printable, rateLimited } from '../../src/daemon/log-file.js';
import { parseFeedMessage, parseRequest } from '../../src/protocol/requests.js';
import { byteBudget, LineSplitter } from '../../src/ingest/lines.js';

const dir = mkdtempSync(join(tmpdir(), 'nix-btm-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('control requests', () => {
  it('uses a request only in the exact shape its op needs', () => {
    for (const bad of [null, 5, 'hello', [], {}, { op: null }, { op: 'hello' }, { op: 'hello', version: '1' },
      { op: 'signal', target: 'job', pid: '3', startedAt: 0, signal: 'KILL' }, { op: 'signal', target: 'x', pid: 3, startedAt: 0, signal: 'KILL' },
      { op: 'environ', pid: 1.5, startedAt: 0 }, { op: 'feed', command: 5 }, { op: 'feed', pid: 'me' }, { op: 'nope' }]) {
      const r = parseRequest(bad);
      expect(r.ok, JSON.stringify(bad)).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    }
    expect(parseRequest({ op: 'hello', version: 1, extra: 1 })).toEqual({ ok: true, value: { op: 'hello', version: 1 } });
    expect(parseRequest({ op: 'feed' })).toEqual({ ok: true, value: { op: 'feed', command: '', pid: null, framed: false, startedAt: null } });
    expect(parseRequest({ op: 'feed', framed: true })).toEqual({ ok: true, value: { op: 'feed', command: '', pid: null, framed: true, startedAt: null } });
    // A start that is no finite number is no start (the daemon bounds a real one by the peer's own start).
    expect(parseRequest({ op: 'feed', startedAt: 'x' })).toMatchObject({ ok: true, value: { startedAt: null } });
    expect(parseRequest({ op: 'feed', startedAt: Infinity })).toMatchObject({ ok: true, value: { startedAt: null } });
    expect(parseRequest({ op: 'feed', framed: 1 }).ok).toBe(false);
    // A value too deep to print is still refused with a reason, not a RangeError.
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(parseRequest({ op: deep })).toMatchObject({ ok: false });
  });

  it('feed messages are {line: string} or {exit: int|null}', () => {
    expect(parseFeedMessage({ line: 'x' })).toEqual({ ok: true, value: { line: 'x' } });
    expect(parseFeedMessage({ exit: null })).toEqual({ ok: true, value: { exit: null } });
    for (const bad of [5, null, [], { line: 5 }, { exit: 'x' }, { exit: 1.5 }, {}]) expect(parseFeedMessage(bad).ok).toBe(false);
  });
});

describe('per-uid connection counts', () => {
  it('caps each non-root uid and all of them together; root is never refused', () => {
    const limits = { ...defaultLimits(1000), perUid: { log: 3, control: 2 }, nonRootTotal: 5 };
    const c = new PeerCounter(limits);
    const a = [c.admit('control', 1000), c.admit('control', 1000)];
    expect(c.admit('control', 1000)).toHaveProperty('refused');
    expect(c.admit('log', 1000)).toHaveProperty('release');
    expect(c.admit('control', 1001)).toHaveProperty('release');
    expect(c.admit('control', 1002)).toHaveProperty('release');
    expect(c.admit('log', 1003)).toHaveProperty('refused'); // five non-root connections open
    for (let i = 0; i < 100; i++) expect(c.admit('control', 0)).toHaveProperty('release');
    const first = a[0]!;
    if ('release' in first) { first.release(); first.release(); } // twice: counted once
    expect(c.connections('control', 1000)).toBe(1);
    expect(c.admit('control', 1000)).toHaveProperty('release');
  });

  it('leaves half the fd limit to root', () => {
    expect(defaultLimits(20_000).nonRootTotal).toBe(2048);
    expect(defaultLimits(1024).nonRootTotal).toBe(512);
  });
});

describe('the shared line budget', () => {
  it('cuts long partial lines once the budget is spent, keeps whole ones, and gives it back', () => {
    const budget = byteBudget(100_000);
    const oversize: number[] = [];
    const lines: string[] = [];
    const make = (): LineSplitter => new LineSplitter({ line: (l) => lines.push(l), oversize: (_h, n) => oversize.push(n) },
      1 << 20, { budget, guaranteedBytes: 1000 });
    const splitters = Array.from({ length: 5 }, make);
    for (const s of splitters) s.push(Buffer.alloc(60_000, 0x61)); // five partial lines of 60 KB
    expect(budget.used).toBeLessThanOrEqual(100_000);
    const held = splitters.reduce((n, s) => n + s.heldBytes, 0);
    expect(held).toBeLessThanOrEqual(100_000 + 5 * 1000);
    for (const s of splitters) s.push(Buffer.from('\n'));
    expect(oversize.length).toBeGreaterThanOrEqual(3);
    expect(oversize.every((n) => n === 60_000)).toBe(true);
    expect(budget.used).toBe(0);
    // Whole lines inside one chunk never need the budget.
    const s = make();
    budget.take(100_000);
    s.push(Buffer.from('a'.repeat(500_000) + '\nb\n'));
    expect(lines.slice(-2).map((l) => l.length)).toEqual([500_000, 1]);
  });

  it('a line trickled one byte per chunk costs one growing buffer, not a Buffer per byte', () => {
    const got: string[] = [];
    const s = new LineSplitter({ line: (l) => got.push(l), oversize: () => undefined });
    const text = Buffer.from('{"action":"msg","level":0,"msg":"' + 'é'.repeat(5000) + '"}\n');
    for (let i = 0; i < text.length; i++) s.push(text.subarray(i, i + 1));
    expect(got).toEqual([text.toString('utf8', 0, text.length - 1)]);
  });
});

describe('daemon.log', () => {
  it('rotates to one .1 file at the size cap and strips control characters', () => {
    const file = join(dir, 'daemon.log');
    const log = logFile(file, { maxBytes: 10_000 });
    for (let i = 0; i < 1000; i++) log(`line ${i} \x1b[31mred\x1b[0m \b\r`);
    expect(statSync(file).size).toBeLessThanOrEqual(10_000);
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(10_000);
    expect(existsSync(`${file}.2`)).toBe(false);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('line 999 \\x1b[31mred\\x1b[0m \\x08\\x0d');
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
    expect(printable('x'.repeat(5000)).length).toBeLessThan(2100);
  });

  it('rate-limits per key and says how many lines it held back', () => {
    const out: string[] = [];
    let now = 0;
    const limited = rateLimited((l) => out.push(l), { burst: 10, perSecond: 2, clock: () => now });
    for (let i = 0; i < 1000; i++) limited('uid 1000', `connect ${i}`);
    limited('uid 0', 'root still logs');
    expect(out).toHaveLength(11);
    now = 1000;
    limited('uid 1000', 'later');
    expect(out.slice(-2)).toEqual(['(990 more lines for uid 1000 were not logged: rate limit 2/s)', 'later']);
  });
});
