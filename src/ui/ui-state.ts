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
import { closeSomething, onDetailKey, onFilterKey, onPickerKey, onSearchKey, searchStep, sortBy } from './ui-entry.js';
import { initialHistoryUi, onHistoryAction, type HistoryUi } from './history-state.js';

/** What `y` copies: printable, no whitespace (a store path, a URL), at most 4 KiB. */
// eslint-disable-next-line no-control-regex
const COPYABLE = /^[^\s\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]{1,4096}$/;

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
  /** First line of the detail pane's scrolled part; null: kept at the end (the newest log lines). */
  readonly detailScroll: number | null;
  readonly dialog: SignalDialog | null;
  /** The sort-by picker (F6): the column under its cursor; null when closed. */
  readonly picker: number | null;
  /** Search text (F3, n/N; `/` inside the detail pane); `editingSearch` while it is typed. */
  readonly search: string;
  readonly editingSearch: boolean;
  /** Builds this UI froze (STOP), so `z` thaws them: keyed by host, pid and start time. */
  readonly frozen: ReadonlySet<string>;
  readonly message: Message | null;
  /** History view: the job opened, and jobs list or analytics. */
  readonly history: HistoryUi;
};

const perView = <T>(v: T): Record<ViewId, T> => ({ process: v, builder: v, eagle: v, jobs: v, history: v });

export const initialUi: UiState = {
  view: 'process', manual: null, editingFilter: false, lists: perView(emptyList), filters: perView(''),
  sorts: { process: { column: 0, desc: false }, builder: { column: 0, desc: false }, eagle: { column: 0, desc: false }, jobs: { column: 4, desc: false },
    history: { column: 0, desc: true } },
  tree: true, all: false, follow: null, eagleMode: 'tree', collapsed: new Set(), expanded: new Set(), detail: false, widget: false,
  detailScroll: null, dialog: null, picker: null, search: '', editingSearch: false, frozen: new Set(), message: null,
  history: initialHistoryUi,
};

export type Effect =
  | { readonly kind: 'quit' }
  | { readonly kind: 'pause' }
  | { readonly kind: 'copy'; readonly text: string }
  /** The collector should scan every process (or only Nix's again): `a` is real, not just a view filter. */
  | { readonly kind: 'want-all'; readonly on: boolean }
  | { readonly kind: 'signal'; readonly request: SignalRequest; readonly label: string };

/** What the keys act on: the rows of the current view as drawn, and the room they have. */
export type KeyContext = {
  readonly rows: readonly Row[];
  readonly height: number;
  readonly columns: number;
  /** Lines of the (wrapped) manual and how many of them fit. */
  readonly manualLines: number;
  readonly manualHeight?: number;
  /** The detail pane's scrollable lines and how many fit, when it is open. */
  readonly detailLines?: readonly string[];
  readonly detailHeight?: number;
};

export type KeyOutcome = { readonly ui: UiState; readonly effect: Effect | null };

const MOVES: Partial<Record<ActionId, Move>> = { up: 'up', down: 'down', 'page-up': 'page-up', 'page-down': 'page-down', home: 'home', end: 'end' };

export function onKey(ui: UiState, key: string, ctx: KeyContext): KeyOutcome {
  if (ui.dialog) return onDialogKey(ui, ui.dialog, key);
  if (ui.picker !== null) return { ui: onPickerKey(ui, ui.picker, key, ctx), effect: null };
  if (ui.editingFilter) return { ui: onFilterKey(ui, key), effect: null };
  if (ui.editingSearch) return { ui: onSearchKey(ui, key, ctx), effect: null };
  if (ui.manual !== null) return { ui: onManualKey(ui, ui.manual, key, ctx), effect: null };
  const inDetail = paneOpen(ui, ctx);
  if (inDetail) {
    const scrolled = onDetailKey(ui, key, ctx);
    if (scrolled) return { ui: scrolled, effect: null };
  }
  const action = actionFor(key, ui.view);
  if (action === null) return { ui, effect: null };
  const next = { ...ui, message: null };
  const move = MOVES[action];
  if (move) return { ui: setList(next, moveList(ui.lists[ui.view], keysOf(ctx.rows), move, ctx.height)), effect: null };
  return onAction(next, action, ctx);
}

const paneOpen = (ui: UiState, ctx: KeyContext): boolean => ui.detail && ui.view === 'jobs' && ctx.detailLines !== undefined;

const keysOf = (rows: readonly Row[]): string[] => rows.map((r) => r.key);

const setList = (ui: UiState, list: ListState): UiState => ({ ...ui, lists: { ...ui.lists, [ui.view]: list } });

export const setListOf = setList;

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
    case 'close': return none(closeSomething(ui));
    case 'next-view': return none({ ...ui, view: VIEWS[(at + 1) % VIEWS.length]!.id, detail: false });
    case 'prev-view': return none({ ...ui, view: VIEWS[(at + VIEWS.length - 1) % VIEWS.length]!.id, detail: false });
    case 'view-process': return none({ ...ui, view: 'process' });
    case 'view-builder': return none({ ...ui, view: 'builder' });
    case 'view-eagle': return none({ ...ui, view: 'eagle' });
    case 'view-jobs': return none({ ...ui, view: 'jobs' });
    case 'view-history': return none({ ...ui, view: 'history' });
    case 'filter': return none({ ...ui, editingFilter: true });
    case 'search': return none({ ...ui, editingSearch: true, search: '' });
    case 'search-next': case 'search-prev': return none(searchStep(ui, ctx, action === 'search-next' ? 1 : -1, false));
    case 'sort': case 'sort-prev': {
      const s = ui.sorts[ui.view];
      const n = Math.max(1, ctx.columns);
      return none(sortBy(ui, (s.column + (action === 'sort' ? 1 : n - 1)) % n));
    }
    case 'sort-pick': return none({ ...ui, picker: ui.sorts[ui.view].column });
    case 'reverse': {
      const s = ui.sorts[ui.view];
      return none({ ...ui, sorts: { ...ui.sorts, [ui.view]: { ...s, desc: !s.desc } } });
    }
    case 'tree': return none({ ...ui, tree: !ui.tree });
    case 'all': return { ui: { ...ui, all: !ui.all }, effect: { kind: 'want-all', on: !ui.all } };
    case 'follow': {
      const pid = ui.view === 'process' ? row?.targets?.process?.pid ?? null : null;
      if (ui.follow !== null || pid === null) return none({ ...ui, follow: null });
      return none({ ...ui, follow: pid, message: { text: `following ${row?.targets?.process?.label ?? pid}`, tone: 'info' } });
    }
    case 'mode': return none({ ...ui, eagleMode: ui.eagleMode === 'tree' ? 'active' : ui.eagleMode === 'active' ? 'flat' : 'tree' });
    case 'toggle': case 'expand': case 'collapse': return none(fold(ui, row, action));
    // Nothing to open the pane on (an empty list, a filter that matches nothing): say so instead of an empty pane.
    case 'detail': return !ui.detail && row === undefined
      ? none({ ...ui, message: { text: 'no row selected: nothing to show', tone: 'info' } })
      : none({ ...ui, detail: !ui.detail, detailScroll: null });
    // issue 15 (widget pane)
    case 'widget': return none({ ...ui, widget: !ui.widget });
    case 'copy':
      if (!row?.copy) return none({ ...ui, message: { text: 'no store path on this row', tone: 'error' } });
      // A path comes from any user's log records: one with spaces or control characters could carry a command
      // (newlines, a bracketed-paste end) past what the row shows into a shell it is pasted in. Never copied.
      if (!COPYABLE.test(row.copy)) return none({ ...ui, message: { text: 'not copied: this row\'s path holds spaces or control characters', tone: 'error' } });
      return { ui: { ...ui, message: { text: `copied ${row.copy}`, tone: 'info' } }, effect: { kind: 'copy', text: row.copy } };
    case 'kill': return none(openDialog(ui, row, 'pick', 'TERM'));
    case 'freeze': {
      const b = row?.targets?.build;
      return none(openDialog(ui, row, 'confirm', b !== undefined && ui.frozen.has(frozenKey(b.host, b.pid, b.startedAt)) ? 'CONT' : 'STOP', 'build'));
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

/** A build this UI froze: its host (several machines), pid and start time (a reused pid is another process). */
const frozenKey = (host: string | undefined, pid: number, startedAt: number): string => `${host ?? ''}\u0000${pid}\u0000${startedAt}`;

/** What the controller answered, shown and never swallowed. */
export function onSignalResult(ui: UiState, request: SignalRequest, label: string, result: SignalResult): UiState {
  if (!result.ok) return { ...ui, message: { text: `refused: ${result.reason} (${request.signal} to ${label})`, tone: 'error' } };
  const frozen = new Set(ui.frozen);
  const key = frozenKey(request.host, request.pid, request.startedAt);
  if (request.signal === 'STOP') frozen.add(key);
  if (request.signal === 'CONT') frozen.delete(key);
  return { ...ui, frozen, message: { text: `sent ${request.signal} to ${label}`, tone: 'info' } };
}

function onManualKey(ui: UiState, offset: number, key: string, ctx: KeyContext): UiState {
  if (['escape', 'q', '?', 'M', 'f1', 'h', 'f10'].includes(key)) return { ...ui, manual: null };
  const height = ctx.manualHeight ?? ctx.height;
  const max = Math.max(0, ctx.manualLines - height);
  const page = Math.max(1, height - 1);
  const delta: Record<string, number> = { up: -1, k: -1, down: 1, j: 1, pageup: -page, pagedown: page, home: -Infinity, g: -Infinity, end: Infinity, G: Infinity };
  const d = delta[key];
  return d === undefined ? ui : { ...ui, manual: Math.max(0, Math.min(max, offset + d)) };
}
