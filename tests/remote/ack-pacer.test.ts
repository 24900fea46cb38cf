// The UI's empty lines back to the proxy: a chunk after a pause is answered at once, a stream's chunks share one
// answer per interval, and a stopped pacer answers nothing more.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ackPacer } from '../../src/remote/ack-pacer.js';

describe('ackPacer', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });
  it('answers a lone chunk at once and coalesces a burst into one answer per interval', () => {
    const sent: number[] = [];
    const p = ackPacer(() => sent.push(Date.now()), 4, () => Date.now());
    const t0 = Date.now();
    p.chunk();
    expect(sent).toEqual([t0]);
    // A burst within the interval: one answer at its end, none before.
    vi.advanceTimersByTime(1); p.chunk();
    vi.advanceTimersByTime(1); p.chunk();
    expect(sent.length).toBe(1);
    vi.advanceTimersByTime(2);
    expect(sent).toEqual([t0, t0 + 4]);
    // After a pause longer than the interval: at once again.
    vi.advanceTimersByTime(10); p.chunk();
    expect(sent).toEqual([t0, t0 + 4, t0 + 14]);
  });
  it('a burst of 1,000 chunks in 100 ms costs 26 answers, not 1,000', () => {
    let sent = 0;
    const p = ackPacer(() => { sent++; }, 4, () => Date.now());
    for (let i = 0; i < 1000; i++) { p.chunk(); vi.advanceTimersByTime(0.1); }
    vi.advanceTimersByTime(10);
    expect(sent).toBe(26);
  });
  it('stop() cancels a pending answer', () => {
    let sent = 0;
    const p = ackPacer(() => { sent++; }, 4, () => Date.now());
    p.chunk(); p.chunk();
    p.stop();
    vi.advanceTimersByTime(100);
    expect(sent).toBe(1);
  });
});
