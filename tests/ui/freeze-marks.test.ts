// `z` proposes CONT for a build this UI froze, and only for that one: same pid on another host, or a reused pid,
// is another process.
import { describe, expect, it } from 'vitest';
import { initialUi, onKey, onSignalResult, type UiState } from '../../src/ui/ui-state.js';
import type { Row } from '../../src/ui/rows.js';

const row = (key: string, pid: number, startedAt: number, host?: string): Row => {
  const build = { pid, startedAt, label: `build ${pid}`, ...(host !== undefined ? { host } : {}) };
  return { key, cells: [], tone: 'normal', targets: { process: build, build, job: undefined } } as Row;
};
const ctx = (r: Row) => ({ rows: [r], height: 10, columns: 8, manualLines: 0 });
const proposed = (ui: UiState, r: Row): string | undefined => onKey({ ...ui, view: 'builder' }, 'z', ctx(r)).ui.dialog?.signal;

describe('freeze marks', () => {
  it('keys what this UI froze by host, pid and start time', () => {
    const alpha = row('a', 100, 5000, 'alpha');
    let ui: UiState = { ...initialUi, view: 'builder' };
    expect(proposed(ui, alpha)).toBe('STOP');
    ui = onSignalResult(ui, { target: 'build', pid: 100, startedAt: 5000, signal: 'STOP', host: 'alpha' }, 'build 100', { ok: true });
    expect(proposed(ui, alpha)).toBe('CONT');
    expect(proposed(ui, row('b', 100, 5000, 'beta'))).toBe('STOP');
    expect(proposed(ui, row('c', 100, 9000, 'alpha'))).toBe('STOP');
    ui = onSignalResult(ui, { target: 'build', pid: 100, startedAt: 5000, signal: 'CONT', host: 'alpha' }, 'build 100', { ok: true });
    expect(proposed(ui, alpha)).toBe('STOP');
  });
});
