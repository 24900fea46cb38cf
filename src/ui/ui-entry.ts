// The keys of the small modes over a list: typing a filter or a search, the sort-by picker (F6), the scrolled detail
// pane, and what Esc closes. Pure, like ui-state.ts, which routes keys here.
import { selectIndex } from './list-state.js';
import { matches } from './rows.js';
import type { KeyContext, UiState } from './ui-state.js';

const withList = (ui: UiState, list: UiState['lists'][keyof UiState['lists']]): UiState => ({ ...ui, lists: { ...ui.lists, [ui.view]: list } });

export function sortBy(ui: UiState, column: number): UiState {
  return { ...ui, sorts: { ...ui.sorts, [ui.view]: { ...ui.sorts[ui.view], column } } };
}

/** Esc outside any dialog: the innermost thing open goes (pane, then a kept search, then a kept filter). */
export function closeSomething(ui: UiState): UiState {
  if (ui.detail) return { ...ui, detail: false, detailScroll: null };
  if (ui.search !== '') return { ...ui, search: '' };
  if (ui.filters[ui.view] !== '') return { ...ui, filters: { ...ui.filters, [ui.view]: '' } };
  return ui;
}

/** Readline's C-w: the text without its last word (and the spaces after it). */
const withoutLastWord = (text: string): string => text.replace(/\S*\s*$/, '');

export function onFilterKey(ui: UiState, key: string): UiState {
  const f = ui.filters[ui.view];
  const set = (text: string, editing: boolean): UiState =>
    ({ ...ui, editingFilter: editing, filters: { ...ui.filters, [ui.view]: text }, lists: { ...ui.lists, [ui.view]: { ...ui.lists[ui.view], offset: 0 } } });
  if (key === 'enter') return { ...ui, editingFilter: false };
  if (key === 'escape') return set('', false);
  if (key === 'backspace') return set([...f].slice(0, -1).join(''), true);
  if (key === 'ctrl-u') return set('', true);
  if (key === 'ctrl-w') return set(withoutLastWord(f), true);
  if ([...key].length === 1 && key >= ' ') return set(f + key, true);
  return ui;
}

/** Typing a search: each character jumps to the first match from the selection on (htop's incremental F3). */
export function onSearchKey(ui: UiState, key: string, ctx: KeyContext): UiState {
  if (key === 'enter') return { ...ui, editingSearch: false };
  if (key === 'escape') return { ...ui, editingSearch: false, search: '' };
  if (key === 'f3') return searchStep(ui, ctx, 1, false);
  let text = ui.search;
  if (key === 'backspace') text = [...text].slice(0, -1).join('');
  else if (key === 'ctrl-u') text = '';
  else if (key === 'ctrl-w') text = withoutLastWord(text);
  else if ([...key].length === 1 && key >= ' ') text += key;
  else return ui;
  if (text === '') return { ...ui, search: '', message: null };
  return searchStep({ ...ui, search: text }, ctx, 1, true);
}

/** The next (dir 1) or previous (-1) line matching the search, in the detail pane when open, else in the rows. */
export function searchStep(ui: UiState, ctx: KeyContext, dir: 1 | -1, includeCurrent: boolean): UiState {
  if (ui.search === '') return { ...ui, message: { text: 'no search: F3 (or / in the detail pane) to start one', tone: 'info' } };
  const pane = ui.detail && ui.view === 'jobs' && ctx.detailLines !== undefined;
  const texts = pane ? ctx.detailLines! : ctx.rows.map((r) => r.cells.join(' '));
  const height = pane ? ctx.detailHeight ?? 1 : ctx.height;
  const from = pane ? paneTop(ui, ctx) : currentIndex(ui, ctx);
  const n = texts.length;
  for (let k = includeCurrent ? 0 : 1; k <= n; k++) {
    const i = (((from + dir * k) % n) + n) % n;
    if (!matches(ui.search, texts[i] ?? '')) continue;
    if (pane) return { ...ui, detailScroll: Math.max(0, Math.min(i, n - height)), message: null };
    return { ...withList(ui, selectIndex(ui.lists[ui.view], ctx.rows.map((r) => r.key), i, height)), message: null };
  }
  return { ...ui, message: { text: `"${ui.search}" not found`, tone: 'error' } };
}

function currentIndex(ui: UiState, ctx: KeyContext): number {
  const sel = ui.lists[ui.view].selected;
  const at = sel === null ? -1 : ctx.rows.findIndex((r) => r.key === sel);
  return at >= 0 ? at : 0;
}

/** First line the pane shows now: its scroll, or the end while it follows the newest lines. */
export function paneTop(ui: Pick<UiState, 'detailScroll'>, ctx: Pick<KeyContext, 'detailLines' | 'detailHeight'>): number {
  const n = ctx.detailLines?.length ?? 0;
  const max = Math.max(0, n - (ctx.detailHeight ?? 1));
  return ui.detailScroll === null ? max : Math.min(ui.detailScroll, max);
}

/** Keys that belong to the open detail pane; null: not one of them (the list below still takes it). */
export function onDetailKey(ui: UiState, key: string, ctx: KeyContext): UiState | null {
  const height = Math.max(1, ctx.detailHeight ?? 1);
  const n = ctx.detailLines?.length ?? 0;
  const max = Math.max(0, n - height);
  const top = paneTop(ui, ctx);
  const to = (line: number): UiState => ({ ...ui, detailScroll: line >= max ? null : Math.max(0, line) });
  switch (key) {
    case 'pageup': return to(top - (height - 1));
    case 'pagedown': return to(top + (height - 1));
    case '/': return { ...ui, editingSearch: true, search: '' };
    default: return null;
  }
}

/** The sort-by picker: ↑↓ choose, Enter sorts by that column, Esc leaves the sort as it was. */
export function onPickerKey(ui: UiState, at: number, key: string, ctx: KeyContext): UiState {
  const n = Math.max(1, ctx.columns);
  if (key === 'escape' || key === 'q' || key === 'f6') return { ...ui, picker: null };
  if (key === 'up' || key === 'k') return { ...ui, picker: (at + n - 1) % n };
  if (key === 'down' || key === 'j') return { ...ui, picker: (at + 1) % n };
  if (key === 'enter') return { ...sortBy(ui, at), picker: null };
  return ui;
}
