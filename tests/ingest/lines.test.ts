import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/ingest/lines.js';
import { openLogSource } from '../../src/ingest/log-source.js';
import type { BtmEvent } from '../../src/state/events.js';
import { fixtureLines } from '../helpers.js';

function split(chunks: (string | Buffer)[], max?: number): { lines: string[]; oversize: [string, number][] } {
  const lines: string[] = [];
  const oversize: [string, number][] = [];
  const s = new LineSplitter({ line: (l) => lines.push(l), oversize: (h, n) => oversize.push([h, n]) }, max);
  for (const c of chunks) s.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  s.end();
  return { lines, oversize };
}

describe('LineSplitter', () => {
  it('joins partial lines across chunks', () => {
    expect(split(['ab', 'c\nde', 'f\n\ng']).lines).toEqual(['abc', 'def', '', 'g']);
  });

  it('splits a real capture fed one byte at a time exactly as whole', () => {
    const text = fixtureLines('log-singleuser-fail-single.jsonl').join('\n') + '\n';
    const bytes = Buffer.from(text);
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    expect(split(chunks).lines).toEqual(fixtureLines('log-singleuser-fail-single.jsonl'));
  });

  it('keeps multi-byte characters split across chunks', () => {
    const b = Buffer.from('é→\n');
    expect(split([b.subarray(0, 1), b.subarray(1, 3), b.subarray(3)]).lines).toEqual(['é→']);
  });

  it('reports a giant line once, keeps its head, and goes on with the next', () => {
    const { lines, oversize } = split(['x'.repeat(50), 'y'.repeat(100), '\nnext\n'], 64);
    expect(lines).toEqual(['next']);
    expect(oversize).toHaveLength(1);
    expect(oversize[0]![0]).toBe('x'.repeat(50) + 'y'.repeat(14));
    expect(oversize[0]![1]).toBe(150);
  });
});

describe('openLogSource', () => {
  it('wraps a stream in source-open / nix / source-close events and counts a giant line as invalid', () => {
    // (A giant build-log line is kept, cut: tests/ingest/salvage.test.ts. Any other giant record is refused.)
    const events: BtmEvent[] = [];
    const src = openLogSource({
      source: 's1', emit: (e) => events.push(e), clock: () => 42, maxLineBytes: 1024,
      info: { via: 'feed', pid: null, uid: null, user: null, command: 'test' },
    });
    const real = fixtureLines('log-singleuser-fail-single.jsonl').slice(0, 3);
    src.push(Buffer.from(`${real[0]}\n@nix {"action":"msg","level":3,"msg":"${'z'.repeat(5000)}"}\n${real[1]}\n${real[2]}`));
    src.end(1, 'eof');
    src.end(1, 'eof');
    expect(events.map((e) => e.kind)).toEqual(['source-open', 'nix', 'nix', 'nix', 'nix', 'source-close']);
    const bad = events[2];
    expect(bad?.kind === 'nix' && bad.record.kind === 'invalid' && bad.record.reason).toMatch(/over the limit \(1024 bytes/);
    expect(src.stats.invalid).toBe(1);
    expect(events.every((e) => e.at === 42)).toBe(true);
  });
});
