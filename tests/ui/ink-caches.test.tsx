// Ink's line caches kept between frames (src/ui/ink-caches.ts): on the Ink installed here, and never showing a line
// from an earlier frame in place of the line drawn now (text or colour changed, changed back, many lines).
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { Box, Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { generations, inkCachesKept } from '../../src/ui/ink-caches.js';
import Line from '../../src/components/Line.js';

afterEach(() => cleanup());

function Screen({ lines, color }: { lines: readonly string[]; color?: string }) {
  return <Box flexDirection="column">{lines.map((l, i) => <Line key={i} text={l} color={color} />)}<Text>end</Text></Box>;
}

describe('Ink caches kept between frames', () => {
  it('are kept on this Ink (an Ink whose Output changed would leave them per frame, and fail here)', () => {
    expect(inkCachesKept).toBe(true);
  });

  it('each frame shows the lines drawn now: changed, changed back, and more lines than a generation holds', () => {
    const a = ['⏵ pid 1 nixbld1 ─ build', 'plain ascii row 2'];
    const b = ['⏵ pid 1 nixbld2 ─ build', 'plain ascii row 2'];
    const app = render(<Screen lines={a} />);
    expect(app.lastFrame()).toBe(`${a.join('\n')}\nend`);
    app.rerender(<Screen lines={b} />);
    expect(app.lastFrame()).toBe(`${b.join('\n')}\nend`);
    app.rerender(<Screen lines={a} />);
    expect(app.lastFrame()).toBe(`${a.join('\n')}\nend`);
    // Over a generation's 512 lines: the evicted ones are worked out again, correctly.
    const many = Array.from({ length: 1200 }, (_, i) => `row ${i} ✔ built`);
    app.rerender(<Screen lines={many} />);
    expect(app.lastFrame()!.split('\n').slice(0, 3)).toEqual(many.slice(0, 3));
    app.rerender(<Screen lines={a} />);
    expect(app.lastFrame()).toBe(`${a.join('\n')}\nend`);
  });
});

describe('generations', () => {
  it('keeps the last `max` to 2 * max keys, moving a hit from the old generation back', () => {
    const g = generations<number>(2);
    g.set('a', 1); g.set('b', 2);
    g.set('c', 3); // a, b now old
    expect(g.get('a')).toBe(1); // back in the young one: c, a
    g.set('d', 4); // young full (c, a): they become old, b dropped
    expect(g.get('b')).toBeUndefined();
    expect(g.get('a')).toBe(1);
    expect(g.get('c')).toBe(3);
    expect(g.get('d')).toBe(4);
    expect(g.size()).toBeLessThanOrEqual(4);
  });
});
