// `nix-btm stats` text (src/history/text.ts): the per-day bars and their one-line trend.
import { describe, expect, it } from 'vitest';
import type { Stats } from '../../src/history/analytics.js';
import { statsText } from '../../src/history/text.js';

const stats = (perDay: Stats['perDay']): Stats => ({ since: null, slowest: [], rebuilt: [], failureRate: [], perDay,
  cache: { substituted: 0, built: perDay.reduce((n, d) => n + d.builds, 0), share: 0 } } as Stats);

describe('stats text', () => {
  it('one day: its bar, and no lone unlabelled block under it', () => {
    const lines = statsText(stats([{ day: '2026-12-03', buildMs: 5000, builds: 2 }])).split('\n');
    expect(lines.some((l) => /^\s*2026-12-03 █+/.test(l))).toBe(true);
    expect(lines.filter((l) => /^\s*[▁▂▃▄▅▆▇█]+\s*$/.test(l))).toEqual([]);
  });
  it('several days: a labelled trend, a character a day', () => {
    const text = statsText(stats([{ day: '2026-12-02', buildMs: 1000, builds: 1 }, { day: '2026-12-03', buildMs: 8000, builds: 3 }]));
    expect(text).toMatch(/a character a day: [▁▂▃▄▅▆▇█]{2}$/m);
  });
});
