import { describe, expect, it } from 'vitest';
import { estimateFrom, median, planRemaining } from '../../src/history/eta.js';

describe('median', () => {
  it('odd, even, empty', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});

describe('estimateFrom', () => {
  it('prefers this host, else the best-sampled other host scaled by its speed', () => {
    const samples = new Map([['b', [10, 10]], ['c', [30, 30, 30]]]);
    expect(estimateFrom('a', new Map([['a', [5]], ...samples]), new Map(), 'same version')).toEqual({ ms: 5, basis: 'same version, this host', samples: 1 });
    // c has more samples; it is twice as fast as a, so a takes twice as long.
    expect(estimateFrom('a', samples, new Map([['c', 2]]), 'other versions')).toEqual({ ms: 60, basis: 'other versions, other hosts', samples: 3 });
    expect(estimateFrom('a', new Map(), new Map(), 'same version')).toBeNull();
  });
});

describe('planRemaining', () => {
  const item = (key: string, remainingMs: number, deps: string[] = [], running = false) => ({ key, remainingMs, deps, running });
  it('a chain is its sum whatever the slots', () => {
    expect(planRemaining([item('a', 10), item('b', 20, ['a']), item('c', 30, ['b'])], 4)).toBe(60);
  });
  it('independent builds share the slots: not a sum', () => {
    const four = [item('a', 10), item('b', 10), item('c', 10), item('d', 10)];
    expect(planRemaining(four, 4)).toBe(10);
    expect(planRemaining(four, 2)).toBe(20);
    expect(planRemaining(four, 1)).toBe(40);
  });
  it('the critical path goes first', () => {
    // long chain x1 -> x2 (40) and three short ones (10 each), two slots: starting the chain first gives 40.
    const items = [item('s1', 10), item('s2', 10), item('s3', 10), item('x1', 20), item('x2', 20, ['x1'])];
    expect(planRemaining(items, 2)).toBe(40);
  });
  it('a cycle ends the plan instead of looping', () => {
    expect(planRemaining([item('a', 5, ['b']), item('b', 5, ['a']), item('c', 7)], 2)).toBe(7);
  });
});
