// The changed-lines writer: what reaches the terminal for a frame, checked byte for byte on frames as Ink writes
// them (an erase of the previous frame, then the whole new one).
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SYNC_BEGIN, SYNC_END, cellsOf, changedPart, createLineWriter } from '../../src/ui/line-writer.js';

function terminal(columns = 20) {
  const written: string[] = [];
  const ee = new EventEmitter();
  const out = { columns, rows: 5, write: (s: string) => { written.push(s); return true; }, on: ee.on.bind(ee), off: ee.off.bind(ee) };
  return { out, written, ee };
}

const erase = (n: number): string => '\x1b[2K\x1b[1A'.repeat(n - 1) + '\x1b[2K\x1b[G';

describe('line writer', () => {
  it('draws the first frame whole, then only the changed cells, each in its own colours', () => {
    const t = terminal();
    const w = createLineWriter(t.out);
    w.stream.write('abc\n\x1b[36mrow 1.0\x1b[39m\nend');
    expect(t.written[0]).toBe(`${SYNC_BEGIN}\x1b[H\x1b[2J\x1b[1;1Habc\x1b[K\x1b[2;1H\x1b[36mrow 1.0\x1b[39m\x1b[K\x1b[3;1Hend\x1b[K${SYNC_END}`);
    w.stream.write(erase(3) + 'abc\n\x1b[36mrow 1.5\x1b[39m\nend');
    // Only the changed cell: row 2, column 7, in cyan (36), then a reset.
    expect(t.written[1]).toBe(`${SYNC_BEGIN}\x1b[2;7H\x1b[0;36m5\x1b[0m${SYNC_END}`);
    w.stream.write(erase(3) + 'abc\n\x1b[36mrow 1.5\x1b[39m\nend');
    expect(t.written).toHaveLength(2);
    expect(w.bytes()).toBe(t.written.join('').length);
  });

  it('erases what a shorter frame or line no longer covers, and redraws whole after a resize', () => {
    const t = terminal();
    const w = createLineWriter(t.out);
    w.stream.write('one two\nsecond');
    w.stream.write(erase(2) + 'one');
    expect(t.written[1]).toBe(`${SYNC_BEGIN}\x1b[1;4H\x1b[K\x1b[2;1H\x1b[2K${SYNC_END}`);
    t.ee.emit('resize');
    w.stream.write(erase(1) + 'one');
    expect(t.written[2]).toContain('\x1b[2J');
  });

  it('redraws whole after Ink cleared the terminal itself (a frame as tall as the screen)', () => {
    const t = terminal();
    const w = createLineWriter(t.out);
    w.stream.write('a\nb');
    w.stream.write('\x1b[2J\x1b[3J\x1b[Ha\nc');
    expect(t.written[1]).toBe(`${SYNC_BEGIN}\x1b[H\x1b[2J\x1b[1;1Ha\x1b[K\x1b[2;1Hc\x1b[K${SYNC_END}`);
  });

  it('never erases after a line as wide as the terminal (EL there would eat the last column)', () => {
    expect(changedPart(0, undefined, 'x'.repeat(20), 20)).toBe(`\x1b[1;1H${'x'.repeat(20)}`);
    expect(changedPart(0, 'x'.repeat(21), 'x'.repeat(20), 20)).toBe('');
  });

  it('redraws a line with wide characters whole, and passes cursor codes through', () => {
    expect(cellsOf('日本')).toBeNull();
    expect(changedPart(1, 'a日', 'b日')).toBe('\x1b[2;1Hb日\x1b[K');
    const t = terminal();
    createLineWriter(t.out).stream.write('\x1b[?25l');
    expect(t.written).toEqual(['\x1b[?25l']);
  });
});
