// What every view component gets: its rows, the visible window and the room it has.
import type { Column, Row, Sort } from '../ui/rows.js';

export type ViewProps = {
  /** The visible rows only. */
  readonly rows: readonly Row[];
  readonly columns: readonly Column[];
  /** Each column's width for this terminal (fitColumns), 0 for a dropped one. */
  readonly widths: readonly number[];
  /** Selected row index in the whole list, -1 for none. */
  readonly index: number;
  /** Index of the first visible row. */
  readonly offset: number;
  /** Table body rows. */
  readonly height: number;
  readonly width: number;
  readonly sort: Sort;
  /** Shown instead of the view's own empty text when its filter hides every row; null without a filter. */
  readonly noMatch: string | null;
  /** How to get builds in, while none is known (below the rows where there is room). */
  readonly firstSteps?: readonly string[] | null;
};
