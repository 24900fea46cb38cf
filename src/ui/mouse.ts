// A mouse report -> what it does, pure: the wheel scrolls, a click selects a row, switches tab, sorts by a column
// title or presses a key of the bottom line. The screen's geometry comes from the same layout App draws with.
import type { FooterEntry, MouseEvent } from './keymap.js';
import { selectIndex } from './list-state.js';
import { columnAt } from './columns.js';
import type { KeyContext, KeyOutcome, UiState } from './ui-state.js';
import { onKey } from './ui-state.js';
import { sortBy } from './ui-entry.js';

/** Where things are on screen, 1-based rows as the terminal reports them. */
export type Geometry = {
  readonly tabsY: number;
  /** The tabs as drawn (tabLabels). */
  readonly tabs: readonly string[];
  /** The table's title line; its rows follow. */
  readonly titleY: number;
  readonly tableRows: number;
  /** First row index shown. */
  readonly offset: number;
  readonly widths: readonly number[];
  /** Rows of the detail pane (its border included) right below the table; 0 when closed. */
  readonly detailY: number;
  readonly detailRows: number;
  readonly footerY: number;
  readonly footer: readonly FooterEntry[];
  /** Whether the view sorts by its columns (Eagle Eye keeps its tree order). */
  readonly sortable: boolean;
};

const WHEEL_UP = 64;
const WHEEL_DOWN = 65;
const WHEEL_STEP = 3;

/** The tab a click at column x (1-based) lands on: tabs are drawn side by side from column 1 (tabLabels). */
export function tabAt(labels: readonly string[], x: number): number | null {
  let at = 1;
  for (let i = 0; i < labels.length; i++) {
    const w = labels[i]!.length;
    if (x >= at && x < at + w) return i;
    at += w;
  }
  return null;
}

export function onMouse(ui: UiState, ev: MouseEvent, geo: Geometry, ctx: KeyContext): KeyOutcome {
  const none = (u: UiState): KeyOutcome => ({ ui: u, effect: null });
  const keys = (...names: string[]): KeyOutcome => {
    let out: KeyOutcome = { ui, effect: null };
    for (const n of names) { out = onKey(out.ui, n, ctx); if (out.effect) break; }
    return out;
  };
  // Motion (32+) and releases do nothing: a press is the click.
  if (!ev.press || (ev.button & 32) !== 0) return none(ui);
  if (ev.button === WHEEL_UP || ev.button === WHEEL_DOWN) {
    const down = ev.button === WHEEL_DOWN;
    const inPane = geo.detailRows > 0 && ev.y >= geo.detailY && ev.y < geo.detailY + geo.detailRows;
    if (ui.manual !== null || !inPane) return keys(...Array<string>(WHEEL_STEP).fill(down ? 'down' : 'up'));
    const top = ui.detailScroll;
    const n = ctx.detailLines?.length ?? 0;
    const max = Math.max(0, n - (ctx.detailHeight ?? 1));
    const from = top === null ? max : Math.min(top, max);
    const to = Math.max(0, Math.min(max, from + (down ? WHEEL_STEP : -WHEEL_STEP)));
    return none({ ...ui, detailScroll: to >= max ? null : to });
  }
  if (ev.button !== 0 || ui.dialog || ui.picker !== null) return none(ui);
  if (ev.y === geo.footerY) {
    const hit = geo.footer.find((e) => ev.x - 1 >= e.from && ev.x - 1 < e.to);
    return hit ? keys(hit.name) : none(ui);
  }
  if (ui.manual !== null) return none(ui);
  if (ev.y === geo.tabsY) {
    const tab = tabAt(geo.tabs, ev.x);
    return tab === null ? none(ui) : keys(String(tab + 1));
  }
  if (ev.y === geo.titleY && geo.sortable) {
    const col = columnAt(geo.widths, ev.x - 1);
    if (col === null) return none(ui);
    const s = ui.sorts[ui.view];
    return none(col === s.column ? { ...ui, sorts: { ...ui.sorts, [ui.view]: { ...s, desc: !s.desc } } } : sortBy(ui, col));
  }
  const row = ev.y - geo.titleY - 1;
  if (row >= 0 && row < geo.tableRows) {
    const index = geo.offset + row;
    if (index >= ctx.rows.length) return none(ui);
    const list = selectIndex({ ...ui.lists[ui.view], offset: geo.offset }, ctx.rows.map((r) => r.key), index, ctx.height);
    return none({ ...ui, message: null, lists: { ...ui.lists, [ui.view]: list } });
  }
  return none(ui);
}
