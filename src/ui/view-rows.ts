// The rows, columns and mode line of the current view: one function, so App, tests and the bench build the same rows.
import type { State } from '../state/model.js';
import type { ViewId } from './keymap.js';
import type { Column, Row } from './rows.js';
import { PROCESS_COLUMNS, processRows } from './rows-process.js';
import { BUILDER_COLUMNS, builderRows } from './rows-builder.js';
import { EAGLE_COLUMNS, eagleRows } from './rows-eagle.js';
import { JOBS_COLUMNS, jobRows } from './rows-jobs.js';
import { HISTORY_JOB_COLUMNS } from './rows-history.js';
import type { UiState } from './ui-state.js';

export type ViewRows = { readonly rows: readonly Row[]; readonly columns: readonly Column[]; readonly mode: string };

const EAGLE_MODES = { tree: 'whole tree', active: 'only active paths', flat: 'flat list of active builds' } as const;

export function viewRows(state: State, ui: UiState, view: ViewId = ui.view): ViewRows {
  const filter = ui.filters[view];
  const f = filter ? ` · filter "${filter}"` : '';
  switch (view) {
    case 'process': {
      const follow = ui.follow !== null ? ` · following ${ui.follow}` : '';
      return {
        rows: processRows(state, { tree: ui.tree, all: ui.all, filter, sort: ui.sorts.process }), columns: PROCESS_COLUMNS,
        mode: `${ui.tree ? 'tree' : 'list'} · ${ui.all ? 'all processes' : 'Nix processes'}${f}${follow}`,
      };
    }
    case 'builder': return { rows: builderRows(state, { filter, sort: ui.sorts.builder, expanded: ui.expanded }), columns: BUILDER_COLUMNS, mode: `builders${f}` };
    case 'eagle': return { rows: eagleRows(state, { mode: ui.eagleMode, filter, collapsed: ui.collapsed }), columns: EAGLE_COLUMNS, mode: `${EAGLE_MODES[ui.eagleMode]}${f}` };
    case 'jobs': return { rows: jobRows(state, { filter, sort: ui.sorts.jobs }), columns: JOBS_COLUMNS, mode: `jobs${f}` };
    // Not from the live state: App asks the build history (use-history.ts, rows-history.ts).
    case 'history': return { rows: [], columns: HISTORY_JOB_COLUMNS, mode: 'history' };
  }
}
