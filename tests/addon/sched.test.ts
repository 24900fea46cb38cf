// askShortSlices: the kernel really gives the calling thread the asked slice (EEVDF's sched_runtime, which
// /proc/thread-self/sched shows as se.slice), the thread's nice value stays, and bad values are refused.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { askShortSlices } from '../../src/addon/sched.js';
import { loadNative } from '../../src/addon/native.js';

const sliceNs = (): number | null => {
  const m = /^se\.slice\s*:\s*(\d+)/m.exec(readFileSync('/proc/thread-self/sched', 'utf8'));
  return m ? Number(m[1]) : null;
};
const nice = (): number => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ')[16]);

describe('askShortSlices', () => {
  it('sets this thread\'s slice where the kernel has custom slices, and says whether it did', () => {
    const before = sliceNs();
    const niceBefore = nice();
    const took = askShortSlices(250);
    if (before === null) {
      // A kernel without EEVDF's se.slice: nothing to change, and the call says so or is ignored.
      expect(typeof took).toBe('boolean');
      return;
    }
    expect(took).toBe(true);
    expect(sliceNs()).toBe(250_000);
    expect(nice()).toBe(niceBefore);
    expect(askShortSlices(1000)).toBe(true);
    expect(sliceNs()).toBe(1_000_000);
  });
  it('refuses values outside the kernel\'s bounds (the native call throws; the wrapper says false)', () => {
    expect(() => loadNative().shortSlices(50)).toThrow(/between 100 and 100000/);
    expect(() => loadNative().shortSlices(Number.NaN)).toThrow(/between 100 and 100000/);
    expect(askShortSlices(10)).toBe(false);
  });
});
