// The History view's keys: Enter opens a job's derivations, Esc goes back to the jobs, m switches to analytics.
// Sorting and filtering use the shared per-view sort and filter (the filter text is a query: see rows-history.ts).
import type { ActionId } from './keymap.js';
import type { Row } from './rows.js';
import type { UiState } from './ui-state.js';

export type HistoryUi = {
  readonly job: number | null; readonly pane: 'jobs' | 'stats';
  /** Several machines: the watched host whose history holds `job` (ids are per database). */
  readonly jobHost?: string | null;
};

export const initialHistoryUi: HistoryUi = { job: null, pane: 'jobs', jobHost: null };

/** The next UI state for a History key, or null to let the shared handling do it. */
export function onHistoryAction(ui: UiState, action: ActionId, row: Row | undefined): UiState | null {
  const h = ui.history;
  const set = (next: Partial<HistoryUi>, sortColumn?: number): UiState => ({
    ...ui, history: { ...h, ...next },
    lists: { ...ui.lists, history: { ...ui.lists.history, selected: null, offset: 0 } },
    ...(sortColumn !== undefined ? { sorts: { ...ui.sorts, history: { column: sortColumn, desc: sortColumn === 0 } } } : {}),
  });
  switch (action) {
    case 'detail':
      if (h.pane !== 'jobs' || h.job !== null || !row?.job) return ui;
      // A job's derivations sort by start time (column 3), oldest first: the order they ran in.
      return { ...set({ job: Number(row.job), jobHost: row.host ?? null }), sorts: { ...ui.sorts, history: { column: 3, desc: false } } };
    case 'close':
      if (h.job !== null) return set({ job: null, jobHost: null }, 0);
      if (h.pane === 'stats') return set({ pane: 'jobs' });
      return null;
    case 'mode': return set({ pane: h.pane === 'jobs' ? 'stats' : 'jobs', job: null, jobHost: null }, 0);
    default: return null;
  }
}
