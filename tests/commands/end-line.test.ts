import { describe, expect, it } from 'vitest';
import { endLine } from '../../src/commands/terminal-report.js';
import type { StatusCounts } from '../../src/state/selectors.js';

const counts = (over: Partial<StatusCounts>): StatusCounts => ({
  planned: 0, waiting: 0, running: 0, built: 0, substituted: 0, valid: 0, failed: 0, cancelled: 0, interrupted: 0, downloads: 0, ...over,
});

describe('run/feed end line', () => {
  it('reads as before when nothing was substituted or already valid', () => {
    expect(endLine(counts({ built: 1, failed: 2, cancelled: 1 }))).toBe('1 built, 2 failed, 1 cancelled, 0 interrupted');
  });
  it('names substituted and already-valid derivations, as replay and the dashboard do', () => {
    expect(endLine(counts({ built: 3, substituted: 2, valid: 1 }))).toBe('3 built, 2 substituted, 1 already valid, 0 failed, 0 cancelled, 0 interrupted');
  });
});
