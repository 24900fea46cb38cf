// Framed feeds (src/protocol/feed-frames.ts): what a reader makes of frames cut anywhere, and of bytes no writer sends.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { atFrame, exitFrame, FrameReader, logFrames, MAX_FRAME_BYTES, type Frame } from '../../src/protocol/feed-frames.js';

const capture = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'captures', 'log-daemon-root-graph-success.jsonl'));

function readAll(stream: Buffer, cut: number): { frames: Frame[]; error: string | null } {
  const reader = new FrameReader();
  const frames: Frame[] = [];
  for (let at = 0; at < stream.length; at += cut) reader.push(stream.subarray(at, at + cut), (f) => frames.push(f));
  return { frames, error: reader.error };
}

const logOf = (frames: readonly Frame[]): string => frames.map((f) => (f.type === 'log' ? f.bytes.toString('latin1') : '')).join('');

describe('feed frames', () => {
  it('a real capture and an exit, cut into chunks of any size, come back byte for byte', () => {
    const stream = Buffer.concat([logFrames(capture, 4096), exitFrame(100)]);
    for (const cut of [1, 2, 5, 7, 4096, 4101, stream.length]) {
      const { frames, error } = readAll(stream, cut);
      expect(error).toBeNull();
      expect(logOf(frames)).toBe(capture.toString('latin1'));
      expect(frames.at(-1)).toEqual({ type: 'exit', code: 100 });
      expect(frames.filter((f) => f.type === 'exit')).toHaveLength(1);
    }
    expect(readAll(exitFrame(null), 3).frames).toEqual([{ type: 'exit', code: null }]);
    expect(readAll(exitFrame(-2), 3).frames).toEqual([{ type: 'exit', code: -2 }]);
  });

  it('log bytes that spell an exit frame stay log bytes: only the writer\'s framing ends a feed', () => {
    const forged = Buffer.concat([Buffer.from('@nix {"action":"msg","level":0,"msg":"a"}\n'), exitFrame(0), Buffer.from('\nafter\n')]);
    const { frames } = readAll(Buffer.concat([logFrames(forged), exitFrame(3)]), 3);
    expect(logOf(frames)).toBe(forged.toString('latin1'));
    expect(frames.filter((f) => f.type === 'exit')).toEqual([{ type: 'exit', code: 3 }]);
  });

  it('a payload over the limit is cut by the writer; a header over it, an unknown type or a bad exit is fatal to the reader', () => {
    const big = Buffer.alloc(MAX_FRAME_BYTES * 2 + 10, 'x');
    const { frames, error } = readAll(logFrames(big), 65536);
    expect(error).toBeNull();
    expect(frames).toHaveLength(3);
    expect(frames.every((f) => f.type === 'log' && f.bytes.length <= MAX_FRAME_BYTES)).toBe(true);
    const header = (len: number, type: number): Buffer => { const h = Buffer.alloc(5); h.writeUInt32BE(len); h[4] = type; return h; };
    for (const bad of [header(MAX_FRAME_BYTES + 1, 1), header(3, 9), header(4, 2), Buffer.from('{"line":"not a frame"}\n')]) {
      const reader = new FrameReader();
      const got: Frame[] = [];
      reader.push(bad, (f) => got.push(f));
      reader.push(logFrames(Buffer.from('later\n')), (f) => got.push(f));
      expect(reader.error).not.toBeNull();
      expect(got).toEqual([]);
      expect(reader.buffered).toBe(0);
    }
  });
});

describe('feed frames: times', () => {
  it('a FRAME_AT carries its time exactly, between log frames; one of the wrong size is refused', () => {
    const stream = Buffer.concat([atFrame(1_796_000_000_123.5), logFrames(Buffer.from('a\n')), atFrame(0), exitFrame(0)]);
    for (const cut of [1, 3, 13, stream.length]) {
      const { frames, error } = readAll(stream, cut);
      expect(error).toBeNull();
      expect(frames.map((f) => f.type)).toEqual(['at', 'log', 'at', 'exit']);
      expect(frames[0]).toEqual({ type: 'at', at: 1_796_000_000_123.5 });
      expect(frames[2]).toEqual({ type: 'at', at: 0 });
    }
    const bad = Buffer.from(atFrame(5));
    bad.writeUInt32BE(4, 0);
    expect(readAll(bad, 64).error).toMatch(/bad feed frame length 4 \(type 3\)/);
  });
});
