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

describe('slicedQueue lanes', () => {
  const settle = (q: { pending: () => number }): Promise<void> => new Promise<void>((resolve) => {
    const poll = (): void => { if (q.pending() === 0) resolve(); else setImmediate(poll); };
    poll();
  });

  it('keeps each lane in order while lanes take turns: a quiet lane never waits behind a backlog', async () => {
    const seen: string[] = [];
    const q = slicedQueue((m: { lane: number; n: number }) => {
      busy(0.2);
      seen.push(`${m.lane}:${m.n}`);
      // The flood's first item arrives with 999 more behind it (one chunk read while the thread was busy).
      if (m.lane === 1 && m.n === 0) for (let n = 1; n < 1000; n++) q.push({ lane: 1, n });
    }, 1, (m) => m.lane);
    // The quiet lane's 3 items arrive after the flood's backlog, one event-loop turn later.
    setImmediate(() => { for (let n = 0; n < 3; n++) q.push({ lane: 2, n }); });
    q.push({ lane: 1, n: 0 });
    await settle(q);
    const flood = seen.filter((s) => s.startsWith('1:'));
    const quiet = seen.filter((s) => s.startsWith('2:'));
    expect(flood).toEqual(Array.from({ length: 1000 }, (_, n) => `1:${n}`));
    expect(quiet).toEqual(['2:0', '2:1', '2:2']);
    // The quiet lane's last item is handled long before the flood's backlog is done: turns alternate.
    const lastQuiet = seen.indexOf('2:2');
    expect(lastQuiet).toBeLessThan(500);
    expect(seen.indexOf('2:1') - seen.indexOf('2:0')).toBe(2);
  });

  it('counts pending items across lanes and forgets emptied lanes', async () => {
    const seen: number[] = [];
    let hold = true;
    const q = slicedQueue((n: number) => { seen.push(n); if (hold) { hold = false; for (let i = 1; i <= 6; i++) q.push(i); } }, 4, (n) => n % 3);
    q.push(0);
    await settle(q);
    expect(q.pending()).toBe(0);
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // Lane order is kept: 3 after 0's lane mates, 4 after 1, 5 after 2.
    expect(seen.indexOf(1)).toBeLessThan(seen.indexOf(4));
    expect(seen.indexOf(2)).toBeLessThan(seen.indexOf(5));
    expect(seen.indexOf(3)).toBeLessThan(seen.indexOf(6));
  });
});

describe('slicedQueue turns', () => {
  it('items arriving in one callback share its slice: a steady stream cannot hold the loop', async () => {
    let handled = 0;
    const q = slicedQueue(() => { busy(1); handled++; }, 4);
    let otherRanAfter = -1;
    setImmediate(() => { otherRanAfter = handled; });
    // 100 messages delivered in one callback (as a worker's port does), each 1 ms of work: with each handled at
    // once this loop would take 100 ms before anything else could run.
    for (let i = 0; i < 100; i++) q.push(i);
    expect(handled).toBeLessThan(20);
    expect(q.pending()).toBe(100 - handled);
    await new Promise<void>((resolve) => {
      const poll = (): void => { if (q.pending() === 0) resolve(); else setImmediate(poll); };
      poll();
    });
    expect(handled).toBe(100);
    // Other work got its turn long before the queue was done.
    expect(otherRanAfter).toBeGreaterThanOrEqual(0);
    expect(otherRanAfter).toBeLessThan(50);
  });
});
