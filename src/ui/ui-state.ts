// Everything the UI remembers between frames (view, selections, sorts, filters, modes, dialog) and how each key
// changes it. Pure: a key and the rows on screen in, the next UI state and at most one effect out.
import type { SignalName, SignalRequest, SignalResult, SignalTarget } from './feed.js';
import { SIGNALS } from './feed.js';
import type { ActionId, ViewId } from './keymap.js';
import { VIEWS, actionFor } from './keymap.js';
import type { ListState, Move } from './list-state.js';
import { emptyList, moveList, selectedIndex } from './list-state.js';
import type { EagleMode } from './rows-eagle.js';
import type { Row, Sort, Subject } from './rows.js';
import { initialHistoryUi, onHistoryAction, type HistoryUi } from './history-state.js';

export type SignalDialog = {
  readonly step: 'pick' | 'confirm';
  readonly signal: SignalName;
  readonly target: SignalTarget;
  /** What each target kind would reach, from the selected row. */
  readonly subjects: Partial<Record<SignalTarget, Subject>>;
};

export type Message = { readonly text: string; readonly tone: 'info' | 'error' };

export type UiState = {
  readonly view: ViewId;
  /** Scroll offset of the manual; null when closed. */
  readonly manual: number | null;
  readonly editingFilter: boolean;
  readonly lists: Readonly<Record<ViewId, ListState>>;
  readonly filters: Readonly<Record<ViewId, string>>;
  readonly sorts: Readonly<Record<ViewId, Sort>>;
  readonly tree: boolean;
  readonly all: boolean;
  /** The pid the Process view follows. */
  readonly follow: number | null;
  readonly eagleMode: EagleMode;
  readonly collapsed: ReadonlySet<string>;
  readonly expanded: ReadonlySet<string>;
  readonly detail: boolean;
  /** issue 15 (widget pane): Eagle Eye shows the selected job's build widget. */
  readonly widget: boolean;
  readonly dialog: SignalDialog | null;
  /** Builds this UI froze (STOP), so `z` thaws them. */
  readonly frozen: ReadonlySet<number>;
  readonly message: Message | null;
  /** History view: the job opened, and jobs list or analytics. */
  readonly history: HistoryUi;
};

const perView = <T>(v: T): Record<ViewId, T> => ({ process: v, builder: v, eagle: v, jobs: v, history: v });

export const initialUi: UiState = {
  view: 'process', manual: null, editingFilter: false, lists: perView(emptyList), filters: perView(''),
  sorts: { process: { column: 0, desc: false }, builder: { column: 0, desc: false }, eagle: { column: 0, desc: false }, jobs: { column: 4, desc: false },
    history: { column: 0, desc: true } },
  tree: true, all: false, follow: null, eagleMode: 'tree', collapsed: new Set(), expanded: new Set(), detail: false, widget: false, dialog: null,
  frozen: new Set(), message: null, history: initialHistoryUi,
};

export type Effect =
  | { readonly kind: 'quit' }
  | { readonly kind: 'pause' }
  | { readonly kind: 'copy'; readonly text: string }
  | { readonly kind: 'signal'; readonly request: SignalRequest; readonly label: string };

/** What the keys act on: the rows of the current view as drawn, and the room they have. */
export type KeyContext = {
  readonly rows: readonly Row[];
  readonly height: number;
  readonly columns: number;
  readonly manualLines: number;
};

export type KeyOutcome = { readonly ui: UiState; readonly effect: Effect | null };

const MOVES: Partial<Record<ActionId, Move>> = { up: 'up', down: 'down', 'page-up': 'page-up', 'page-down': 'page-down', home: 'home', end: 'end' };

export function onKey(ui: UiState, key: string, ctx: KeyContext): KeyOutcome {
  if (ui.dialog) return onDialogKey(ui, ui.dialog, key);
  if (ui.editingFilter) return { ui: onFilterKey(ui, key), effect: null };
  if (ui.manual !== null) return { ui: onManualKey(ui, ui.manual, key, ctx), effect: null };
  const action = actionFor(key, ui.view);
  if (action === null) return { ui, effect: null };
  const next = { ...ui, message: null };
  const move = MOVES[action];
  if (move) return { ui: setList(next, moveList(ui.lists[ui.view], keysOf(ctx.rows), move, ctx.height)), effect: null };
  return onAction(next, action, ctx);
}

const keysOf = (rows: readonly Row[]): string[] => rows.map((r) => r.key);

const setList = (ui: UiState, list: ListState): UiState => ({ ...ui, lists: { ...ui.lists, [ui.view]: list } });

export function selectedRow(ui: UiState, rows: readonly Row[]): Row | undefined {
  return rows[selectedIndex(ui.lists[ui.view], keysOf(rows))];
}

const toggle = (set: ReadonlySet<string>, key: string, on?: boolean): ReadonlySet<string> => {
  const next = new Set(set);
  if (on ?? !next.has(key)) next.add(key); else next.delete(key);
  return next;
};

function onAction(ui: UiState, action: ActionId, ctx: KeyContext): KeyOutcome {
  const row = selectedRow(ui, ctx.rows);
  const none = (u: UiState): KeyOutcome => ({ ui: u, effect: null });
  const at = VIEWS.findIndex((v) => v.id === ui.view);
  const history = ui.view === 'history' ? onHistoryAction(ui, action, row) : null;
  if (history) return none(history);
  switch (action) {
    case 'quit': return { ui, effect: { kind: 'quit' } };
    case 'pause': return { ui, effect: { kind: 'pause' } };
    case 'manual': return none({ ...ui, manual: 0 });
    case 'close': return none({ ...ui, detail: false });
    case 'next-view': return none({ ...ui, view: VIEWS[(at + 1) % VIEWS.length]!.id, detail: false });
    case 'prev-view': return none({ ...ui, view: VIEWS[(at + VIEWS.length - 1) % VIEWS.length]!.id, detail: false });
    case 'view-process': return none({ ...ui, view: 'process' });
    case 'view-builder': return none({ ...ui, view: 'builder' });
    case 'view-eagle': return none({ ...ui, view: 'eagle' });
    case 'view-jobs': return none({ ...ui, view: 'jobs' });
    case 'view-history': return none({ ...ui, view: 'history' });
    case 'filter': return none({ ...ui, editingFilter: true });
    case 'sort': {
      const s = ui.sorts[ui.view];
      return none({ ...ui, sorts: { ...ui.sorts, [ui.view]: { ...s, column: (s.column + 1) % Math.max(1, ctx.columns) } } });
    }
    case 'reverse': {
      const s = ui.sorts[ui.view];
      return none({ ...ui, sorts: { ...ui.sorts, [ui.view]: { ...s, desc: !s.desc } } });
    }
    case 'tree': return none({ ...ui, tree: !ui.tree });
    case 'all': return none({ ...ui, all: !ui.all });
    case 'follow': {
      const pid = row?.targets?.process?.pid ?? null;
      if (ui.follow !== null || pid === null) return none({ ...ui, follow: null });
      return none({ ...ui, follow: pid, message: { text: `following ${row?.targets?.process?.label ?? pid}`, tone: 'info' } });
    }
    case 'mode': return none({ ...ui, eagleMode: ui.eagleMode === 'tree' ? 'active' : ui.eagleMode === 'active' ? 'flat' : 'tree' });
    case 'toggle': case 'expand': case 'collapse': return none(fold(ui, row, action));
    case 'detail': return none({ ...ui, detail: !ui.detail });
    // issue 15 (widget pane)
    case 'widget': return none({ ...ui, widget: !ui.widget });
    case 'copy':
      return row?.copy ? { ui: { ...ui, message: { text: `copied ${row.copy}`, tone: 'info' } }, effect: { kind: 'copy', text: row.copy } }
        : none({ ...ui, message: { text: 'no store path on this row', tone: 'error' } });
    case 'kill': return none(openDialog(ui, row, 'pick', 'TERM'));
    case 'freeze': {
      const pid = row?.targets?.build?.pid;
      return none(openDialog(ui, row, 'confirm', pid !== undefined && ui.frozen.has(pid) ? 'CONT' : 'STOP', 'build'));
    }
    default: return none(ui);
  }
}

/** Builder rows expand (default closed); Eagle Eye rows collapse (default open). */
function fold(ui: UiState, row: Row | undefined, action: 'toggle' | 'expand' | 'collapse'): UiState {
  if (!row?.fold) return ui;
  const open = action === 'toggle' ? row.fold === 'closed' : action === 'expand';
  if (ui.view === 'builder') return { ...ui, expanded: toggle(ui.expanded, row.key, open) };
  return { ...ui, collapsed: toggle(ui.collapsed, row.key, !open) };
}

const TARGET_ORDER: Readonly<Record<ViewId, readonly SignalTarget[]>> = {
  process: ['process', 'build', 'job'], builder: ['build', 'process', 'job'], eagle: ['build', 'job', 'process'], jobs: ['job', 'build', 'process'],
  history: [],
};

function openDialog(ui: UiState, row: Row | undefined, step: SignalDialog['step'], signal: SignalName, only?: SignalTarget): UiState {
  const subjects: Partial<Record<SignalTarget, Subject>> = {};
  for (const t of ['process', 'build', 'job'] as const) {
    const s = row?.targets?.[t];
    if (s && (only === undefined || only === t)) subjects[t] = s;
  }
  const order = ui.view === 'jobs' && row?.drvPath ? ['build', 'job', 'process'] as const : TARGET_ORDER[ui.view];
  const target = order.find((t) => subjects[t] !== undefined);
  if (!target) return { ...ui, message: { text: only === 'build' ? 'no build process on this row' : 'nothing to signal on this row', tone: 'error' } };
  return { ...ui, dialog: { step, signal, target, subjects } };
}

function onDialogKey(ui: UiState, d: SignalDialog, key: string): KeyOutcome {
  const close = (message: Message | null = null): KeyOutcome => ({ ui: { ...ui, dialog: null, message }, effect: null });
  if (key === 'escape' || key === 'n' || key === 'q') return close({ text: 'cancelled: nothing was signalled', tone: 'info' });
  const targets = (['process', 'build', 'job'] as const).filter((t) => d.subjects[t] !== undefined);
  if (d.step === 'pick') {
    const i = SIGNALS.indexOf(d.signal);
    if (key === 'up' || key === 'k') return { ui: { ...ui, dialog: { ...d, signal: SIGNALS[(i + SIGNALS.length - 1) % SIGNALS.length]! } }, effect: null };
    if (key === 'down' || key === 'j') return { ui: { ...ui, dialog: { ...d, signal: SIGNALS[(i + 1) % SIGNALS.length]! } }, effect: null };
    if (key === 'tab' || key === 'right' || key === 'left') {
      const t = targets[(targets.indexOf(d.target) + (key === 'left' ? targets.length - 1 : 1)) % targets.length]!;
      return { ui: { ...ui, dialog: { ...d, target: t } }, effect: null };
    }
    if (key === 'enter') return { ui: { ...ui, dialog: { ...d, step: 'confirm' } }, effect: null };
    return { ui, effect: null };
  }
  if (key !== 'y' && key !== 'enter') return { ui, effect: null };
  const s = d.subjects[d.target];
  if (!s) return close();
  const request: SignalRequest = { target: d.target, pid: s.pid, startedAt: s.startedAt, signal: d.signal, ...(s.host !== undefined ? { host: s.host } : {}) };
  return { ui: { ...ui, dialog: null, message: { text: `sending ${d.signal} to ${s.label}…`, tone: 'info' } }, effect: { kind: 'signal', request, label: s.label } };
}

/** What the controller answered, shown and never swallowed. */
export function onSignalResult(ui: UiState, request: SignalRequest, label: string, result: SignalResult): UiState {
  if (!result.ok) return { ...ui, message: { text: `refused: ${result.reason} (${request.signal} to ${label})`, tone: 'error' } };
  const frozen = new Set(ui.frozen);
  if (request.signal === 'STOP') frozen.add(request.pid);
  if (request.signal === 'CONT') frozen.delete(request.pid);
  return { ...ui, frozen, message: { text: `sent ${request.signal} to ${label}`, tone: 'info' } };
}

function onFilterKey(ui: UiState, key: string): UiState {
  const f = ui.filters[ui.view];
  const set = (text: string, editing: boolean): UiState =>
    ({ ...ui, editingFilter: editing, filters: { ...ui.filters, [ui.view]: text }, lists: { ...ui.lists, [ui.view]: { ...ui.lists[ui.view], offset: 0 } } });
  if (key === 'enter') return { ...ui, editingFilter: false };
  if (key === 'escape') return set('', false);
  if (key === 'backspace') return set([...f].slice(0, -1).join(''), true);
  if ([...key].length === 1 && key >= ' ') return set(f + key, true);
  return ui;
}

function onManualKey(ui: UiState, offset: number, key: string, ctx: KeyContext): UiState {
  if (['escape', 'q', '?', 'M', 'f1'].includes(key)) return { ...ui, manual: null };
  const max = Math.max(0, ctx.manualLines - ctx.height);
  const page = Math.max(1, ctx.height - 1);
  const delta: Record<string, number> = { up: -1, k: -1, down: 1, j: 1, pageup: -page, pagedown: page, home: -Infinity, g: -Infinity, end: Infinity, G: Infinity };
  const d = delta[key];
  return d === undefined ? ui : { ...ui, manual: Math.max(0, Math.min(max, offset + d)) };
}
