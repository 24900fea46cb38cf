import { describe, expect, it } from 'vitest';
import { emptyList, moveList, selectedIndex, windowOf } from '../../src/ui/list-state.js';

const keys = Array.from({ length: 50 }, (_, i) => `r${i}`);

describe('list state', () => {
  it('moves, pages and jumps, keeping the selection in view', () => {
    let l = moveList(emptyList, keys, 'down', 10);
    expect(l).toEqual({ selected: 'r1', index: 1, offset: 0 });
    l = moveList(l, keys, 'page-down', 10);
    expect(l).toEqual({ selected: 'r10', index: 10, offset: 1 });
    l = moveList(l, keys, 'end', 10);
    expect(l).toEqual({ selected: 'r49', index: 49, offset: 40 });
    l = moveList(l, keys, 'home', 10);
    expect(l).toEqual({ selected: 'r0', index: 0, offset: 0 });
    expect(moveList(l, keys, 'up', 10).selected).toBe('r0');
  });

  it('keeps the selected row when rows move, and the old position when it goes', () => {
    const l = { selected: 'r20', index: 20, offset: 15 };
    const moved = ['new', ...keys];
    expect(selectedIndex(l, moved)).toBe(21);
    expect(selectedIndex(l, keys.filter((k) => k !== 'r20'))).toBe(20);
    expect(selectedIndex(l, ['a', 'b'])).toBe(1);
    expect(selectedIndex(l, [])).toBe(-1);
  });

  it('clamps the window to the rows there are', () => {
    expect(windowOf({ selected: 'r49', index: 49, offset: 48 }, keys, 10)).toEqual({ index: 49, offset: 40 });
    expect(windowOf({ selected: null, index: 0, offset: 30 }, keys.slice(0, 5), 10)).toEqual({ index: 0, offset: 0 });
  });
});
