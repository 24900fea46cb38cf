// Column widths for a terminal width, pure. Fixed columns get what their content needs (up to their `max`), so a
// column that fits is never cut; flexible columns share what is left by weight; when even the minimums do not fit,
// columns are dropped in their planned order (`drop`: lowest first), and below that the view says it is too small.
import type { Column } from './rows.js';

export type Fitted = {
  /** Width of each column; 0: dropped at this width. */
  readonly widths: readonly number[];
  /** False when even the columns that are never dropped do not fit. */
  readonly fits: boolean;
};

/** The smallest terminal the dashboard draws in; below it, it says so. */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 12;

const gaps = (shown: readonly boolean[]): number => Math.max(0, shown.filter(Boolean).length - 1);

/**
 * `natural`: the widest content of each column among the rows drawn (title included). Fixed columns grow from
 * `width` to min(natural, max); flex columns split the rest by `grow` (default 1), each at least its `width`.
 */
export function fitColumns(columns: readonly Column[], width: number, natural: readonly number[] = []): Fitted {
  const shown = columns.map(() => true);
  const minOf = (i: number): number => columns[i]!.width;
  const need = (): number => columns.reduce((s, _c, i) => s + (shown[i] ? minOf(i) : 0), 0) + gaps(shown);
  const order = columns.map((c, i) => ({ i, drop: c.drop })).filter((x) => x.drop !== undefined).sort((a, b) => a.drop! - b.drop!);
  for (const { i } of order) {
    if (need() <= width) break;
    shown[i] = false;
  }
  const fits = need() <= width;
  const widths = columns.map((c, i) => (shown[i] ? c.width : 0));
  let room = width - need();
  // Fixed columns first: the content they show is worth more than blank flex room.
  columns.forEach((c, i) => {
    if (!shown[i] || c.flex || room <= 0) return;
    const want = Math.min(c.max ?? c.width, Math.max(c.width, natural[i] ?? c.width));
    const add = Math.min(room, want - widths[i]!);
    if (add > 0) { widths[i]! += add; room -= add; }
  });
  const flex = columns.map((c, i) => (shown[i] && c.flex ? i : -1)).filter((i) => i >= 0);
  if (flex.length === 0 && room > 0) {
    // No flex column: the last shown column takes the rest, so a line is as wide as the screen.
    const last = shown.lastIndexOf(true);
    if (last >= 0) widths[last]! += room;
    return { widths, fits };
  }
  const weight = flex.reduce((s, i) => s + (columns[i]!.grow ?? 1), 0);
  let left = room;
  flex.forEach((i, k) => {
    const share = k === flex.length - 1 ? left : Math.floor((room * (columns[i]!.grow ?? 1)) / weight);
    widths[i]! += share;
    left -= share;
  });
  return { widths, fits };
}

/** Where each shown column starts on the line (after the one-column gutter), for a click on a title. */
export function columnAt(widths: readonly number[], x: number): number | null {
  let at = 1;
  for (let i = 0; i < widths.length; i++) {
    const w = widths[i] ?? 0;
    if (w === 0) continue;
    if (x >= at && x < at + w + 1) return i;
    at += w + 1;
  }
  return null;
}
