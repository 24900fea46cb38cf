// A feed's lines reach the log source whole (LogSource.line): the same records as the same bytes pushed, with no
// second split; a line with newlines in it, or over the limit, is still split and bounded as bytes are.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLogSource } from '../../src/ingest/log-source.js';
import type { BtmEvent } from '../../src/state/events.js';
import { root } from '../helpers.js';

const info = { via: 'run' as const, pid: 1, uid: 0, user: 'root', command: 'nix-build' };

function records(feed: (s: ReturnType<typeof openLogSource>) => void, maxLineBytes?: number): unknown[] {
  const events: BtmEvent[] = [];
  const s = openLogSource({ source: 'run:1:1', info, clock: () => null, emit: (e) => events.push(e), ...(maxLineBytes ? { maxLineBytes } : {}) });
  feed(s);
  s.end(0, 'eof');
  return events.flatMap((e) => (e.kind === 'nix' ? [e.record] : []));
}

describe('LogSource.line', () => {
  it('gives the records the same log pushed as bytes gives (a real Nix 2.8 capture)', () => {
    const dir = join(root, 'tests/fixtures/nix-2.8');
    const text = readFileSync(join(dir, readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()[0]!), 'utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const pushed = records((s) => s.push(Buffer.from(text)));
    expect(pushed.length).toBeGreaterThan(10);
    expect(records((s) => { for (const l of lines) s.line(l); })).toEqual(pushed);
  });

  it('splits a line with newlines in it and bounds one over the limit, as bytes would be', () => {
    expect(records((s) => s.line('first\nsecond'))).toEqual(records((s) => s.push(Buffer.from('first\nsecond\n'))));
    expect(records((s) => s.line('first\nsecond'))).toHaveLength(2);
    const long = 'x'.repeat(5000);
    const viaLine = records((s) => s.line(long), 1024);
    expect(viaLine).toEqual(records((s) => s.push(Buffer.from(long + '\n')), 1024));
    expect(viaLine).toEqual([expect.objectContaining({ kind: 'invalid' })]);
  });

  it('the lines of one chunk share its receive time: the clock is read once per chunk and once per line()', () => {
    let reads = 0;
    const events: BtmEvent[] = [];
    const s = openLogSource({ source: 'nix:1:1', info, clock: () => ++reads, emit: (e) => events.push(e) });
    const msg = (m: string): string => `@nix {"action":"msg","level":3,"msg":"${m}"}`;
    s.push(Buffer.from(`${msg('a')}\n${msg('b')}\n${msg('c')}\n${msg('d').slice(0, 10)}`)); // clock read 2
    s.push(Buffer.from(`${msg('d').slice(10)}\n${msg('e')}\n`)); // 3: the line it completes is received now
    s.line(msg('f')); // 4
    s.line(msg('g')); // 5
    s.end(0, 'eof'); // 6
    const times = events.map((e) => [e.kind === 'nix' && e.record.kind === 'msg' ? e.record.msg : e.kind, e.at]);
    expect(times).toEqual([['source-open', 1], ['a', 2], ['b', 2], ['c', 2], ['d', 3], ['e', 3], ['f', 4], ['g', 5], ['source-close', 6]]);
    expect(reads).toBe(6);
  });

  it('a line over the limit in the middle of a chunk keeps its place among the chunk\'s lines', () => {
    const events: BtmEvent[] = [];
    const s = openLogSource({ source: 'nix:1:1', info, clock: () => 7, emit: (e) => events.push(e), maxLineBytes: 1000 });
    const msg = (m: string): string => `@nix {"action":"msg","level":3,"msg":"${m}"}`;
    s.push(Buffer.from(`${msg('a')}\n${msg('b')}\n${msg('x'.repeat(2000))}\n${msg('c')}\n`));
    s.push(Buffer.from(`${msg('d')}\n${msg('y'.repeat(1500))}\n`));
    s.end(0, 'eof');
    const order = events.flatMap((e) => (e.kind !== 'nix' ? [] : e.record.kind === 'msg' ? [e.record.msg] : [e.record.kind]));
    expect(order).toEqual(['a', 'b', 'invalid', 'c', 'd', 'invalid']);
  });

  it('a chunk\'s first line is emitted before the rest are decoded; the rest are decoded together, then emitted', () => {
    const decodedAtEmit: number[] = [];
    const s: ReturnType<typeof openLogSource> = openLogSource({ source: 'nix:1:1', info, clock: () => 1,
      emit: (e) => { if (e.kind === 'nix') decodedAtEmit.push(s.stats.records); } });
    const msg = (m: string): string => `@nix {"action":"msg","level":3,"msg":"${m}"}`;
    s.push(Buffer.from(`${msg('a')}\n${msg('b')}\n${msg('c')}\n`));
    s.push(Buffer.from(`${msg('d')}\n`));
    expect(decodedAtEmit).toEqual([1, 3, 3, 4]);
  });
});
