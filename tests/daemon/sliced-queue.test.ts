import { describe, expect, it } from 'vitest';
import { slicedQueue } from '../../src/daemon/sliced-queue.js';

const busy = (ms: number): void => { const until = performance.now() + ms; while (performance.now() < until) { /* spin */ } };

describe('slicedQueue', () => {
  it('handles an item at once when idle', () => {
    const seen: number[] = [];
    const q = slicedQueue((n: number) => seen.push(n));
    q.push(1);
    expect(seen).toEqual([1]);
    expect(q.pending()).toBe(0);
  });

  it('keeps order and leaves the event loop a turn between slices of slow items', async () => {
    const seen: string[] = [];
    let pushedBack = 0;
    const q = slicedQueue((n: number) => {
      busy(1);
      seen.push(`item ${n}`);
      // Work pushed while a slice runs queues behind, in order.
      if (n === 0) for (let i = 1; i < 40; i++) { q.push(i); pushedBack++; }
    }, 4);
    setImmediate(() => seen.push('other work'));
    q.push(0);
    expect(pushedBack).toBe(39);
    expect(q.pending()).toBeGreaterThan(0);
    await new Promise<void>((resolve) => {
      const poll = (): void => { if (q.pending() === 0) resolve(); else setImmediate(poll); };
      poll();
    });
    const items = seen.filter((s) => s.startsWith('item'));
    expect(items).toEqual(Array.from({ length: 40 }, (_, i) => `item ${i}`));
    const other = seen.indexOf('other work');
    // The other callback ran before the last item: the queue did not hold the loop for all 40 ms.
    expect(other).toBeGreaterThan(0);
    expect(other).toBeLessThan(seen.length - 1);
  });
});
