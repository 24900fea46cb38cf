// Enter in the Jobs view opens the detail pane on the selected row; with no row (a filter that matches nothing)
// it says so instead of opening an empty "nothing selected" pane.
import { describe, expect, it } from 'vitest';
import { initialUi, onKey, type KeyContext } from '../../src/ui/ui-state.js';
import type { Row } from '../../src/ui/rows.js';

const ctx = (rows: readonly Row[]): KeyContext => ({ rows, height: 20, columns: 100, manualLines: 0 });
const row: Row = { key: 'j:a', cells: ['1', 'root', 'running'], tone: 'group' } as Row;

describe('Enter in the Jobs view', () => {
  it('opens the pane on a row, and closes it again', () => {
    const opened = onKey({ ...initialUi, view: 'jobs' }, 'enter', ctx([row])).ui;
    expect(opened.detail).toBe(true);
    expect(onKey(opened, 'enter', ctx([row])).ui.detail).toBe(false);
  });
  it('with no row: no empty pane, a message', () => {
    const ui = onKey({ ...initialUi, view: 'jobs' }, 'enter', ctx([])).ui;
    expect(ui.detail).toBe(false);
    expect(ui.message?.text).toBe('no row selected: nothing to show');
  });
});

describe('y (copy) on a row whose path came from a hostile log', () => {
  it('copies a plain store path; refuses one with spaces, newlines or escapes (a command hidden past the row)', () => {
    const path = '/nix/store/8gr6srhd7a6pvpf8n3akw4b7k4cwgl0q-hello-2.12.drv';
    const good = onKey({ ...initialUi, view: 'jobs' }, 'y', ctx([{ ...row, copy: path } as Row]));
    expect(good.effect).toEqual({ kind: 'copy', text: path });
    for (const evil of [`${path}${' '.repeat(300)}\necho PASTEJACKED; id\n`, `${path}\u001b[201~id`, `${path}\u2028id`]) {
      const bad = onKey({ ...initialUi, view: 'jobs' }, 'y', ctx([{ ...row, copy: evil } as Row]));
      expect(bad.effect).toBeNull();
      expect(bad.ui.message?.text).toMatch(/not copied/);
    }
  });
});
