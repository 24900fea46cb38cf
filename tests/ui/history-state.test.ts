import { describe, expect, it } from 'vitest';
import { onKey, initialUi } from '../../src/ui/ui-state.js';
import { filterQuery } from '../../src/ui/rows-history.js';

const ctx = (rows: { key: string; job?: string }[]) => ({ rows: rows.map((r) => ({ ...r, cells: [], tone: 'normal' as const })), height: 10, columns: 8, manualLines: 0 });

describe('History view keys', () => {
  it('5 opens it, Enter a job, Esc back, m analytics and back', () => {
    const c = ctx([{ key: 'h:7', job: '7' }]);
    let ui = onKey(initialUi, '5', c).ui;
    expect(ui.view).toBe('history');
    ui = onKey(ui, 'enter', c).ui;
    expect(ui.history).toEqual({ job: 7, pane: 'jobs', jobHost: null });
    expect(ui.sorts.history).toEqual({ column: 3, desc: false });
    ui = onKey(ui, 'escape', c).ui;
    expect(ui.history).toEqual({ job: null, pane: 'jobs', jobHost: null });
    expect(ui.sorts.history).toEqual({ column: 0, desc: true });
    ui = onKey(ui, 'm', c).ui;
    expect(ui.history.pane).toBe('stats');
    ui = onKey(ui, 'escape', c).ui;
    expect(ui.history.pane).toBe('jobs');
    ui = onKey(ui, 's', c).ui;
    expect(ui.sorts.history.column).toBe(1);
  });

  it('reads filter words as a query', () => {
    const now = Date.UTC(2026, 0, 10);
    expect(filterQuery('user:alice status:failed since:2d hello world', now)).toEqual({ user: 'alice', status: 'failed', since: now - 2 * 86_400_000, name: 'hello world' });
    expect(filterQuery('until:2026-01-01', now)).toEqual({ until: Date.parse('2026-01-01') });
    expect(filterQuery('since:never', now).problem).toMatch(/not a time/);
  });
});
