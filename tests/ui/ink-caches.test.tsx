// Ink's line caches kept between frames (src/ui/ink-caches.ts): on the Ink installed here, and never showing a line
// from an earlier frame in place of the line drawn now (text or colour changed, changed back, many lines).
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { Box, Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { generations, inkCachesKept, inkTokenizerUsed } from '../../src/ui/ink-caches.js';
import { fastTokens, styledChars } from '../../src/ui/styled-chars.js';
import Line from '../../src/components/Line.js';
import App from '../../src/components/App.js';
import { createStore } from '../../src/ui/store.js';
import { recordingController } from '../../src/ui/feed.js';
import { initialUi } from '../../src/ui/ui-state.js';
import type { ViewId } from '../../src/ui/keymap.js';
import { stateAt } from './helpers.js';

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
    // Over a generation's 256 lines: the evicted ones are worked out again, correctly.
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

describe('styled characters without the grapheme segmenter (styled-chars.ts)', () => {
  /** Every line of every view's screen on the real capture, at a narrow and a wide size. */
  function screenLines(): string[] {
    const out: string[] = [];
    for (const view of ['process', 'builder', 'eagle', 'jobs', 'history'] as ViewId[]) {
      for (const size of [{ columns: 60, rows: 20 }, { columns: 200, rows: 40 }]) {
        const store = createStore({ frameMs: 0, state: stateAt(3000) });
        const app = render(<App store={store} controller={recordingController('demo')} onQuit={() => {}} size={size} initial={{ ...initialUi, view }} />);
        out.push(...(app.lastFrame() ?? '').split('\n'));
        app.unmount();
      }
    }
    return out;
  }
  // What chalk wraps lines in (colours, inverse, bold, dim, 256 and true colour), and text a grapheme joins across.
  const wraps = [(l: string) => l, (l: string) => `\x1b[36m${l}\x1b[39m`, (l: string) => `\x1b[7m\x1b[1m${l}\x1b[22m\x1b[27m`,
    (l: string) => `\x1b[2m${l.slice(0, 5)}\x1b[22m${l.slice(5)}`, (l: string) => `\x1b[38;5;208m${l}\x1b[0m`, (l: string) => `\x1b[1;38;2;1;2;3m${l}\x1b[m`];
  const hard = ['e\u0301 combining after ASCII', 'a\u0301\u0302b', 'x\u0600123 prepend', '👩‍💻 zwj a', '🇩🇪 flag', '中文 wide', 'warn ⚠\ufe0f vs16',
    '⏵ ✔ ✘ ⧖ └─ ├─ │ … ›', 'ab\u200dcd', '\x1b]8;;https://x\x07link\x1b]8;;\x07 osc', 'tab\there', '\x1b[2K erase', 'end\u0301', '\u0301start', ''];

  it('gives what the tokenizer gives, for every line the views draw and the hard cases', () => {
    const tk = inkTokenizerUsed;
    expect(tk).not.toBeNull();
    const lines = [...screenLines(), ...hard];
    expect(lines.length).toBeGreaterThan(200);
    let fast = 0;
    for (const base of lines) {
      for (const wrap of wraps) {
        const line = wrap(base);
        expect(styledChars(line, tk!), JSON.stringify(line)).toEqual(tk!.styledCharsFromTokens(tk!.tokenize(line)));
        if (fastTokens(line, tk!) !== null) fast++;
      }
    }
    // The fast path is the one taken for the views' lines (a line with other escapes goes to the tokenizer whole).
    expect(fast).toBeGreaterThan(lines.length * wraps.length * 0.9);
  });
});
