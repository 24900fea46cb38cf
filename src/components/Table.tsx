// A windowed table: draws only the rows that fit, one <Text> per row. ink-table cannot load under Ink 6 (CommonJS
// requiring ESM with top-level await: ERR_REQUIRE_ASYNC_MODULE) and draws every row; Ink's cost grows with rows.
import React, { memo, useMemo } from 'react';
import { Box, Text } from 'ink';
import type { Column, Row, Tone } from '../ui/rows.js';
import { fitWidth } from '../ui/format.js';
import Line from './Line.js';

type Props = {
  /** Column titles and widths; one column may flex. */
  readonly columns: readonly Column[];
  /** Each column's width (fitColumns), 0 for a dropped one. */
  readonly widths: readonly number[];
  /** The visible rows only (the window), so no component ever receives thousands of rows. */
  readonly rows: readonly Row[];
  /** Selected row index in the whole list, -1 for none. */
  readonly index: number;
  /** Index of the first visible row in the whole list. */
  readonly offset: number;
  /** Rows of the body (the title line comes on top). */
  readonly height: number;
  readonly width: number;
  /** Column sorted by, marked in the title line. */
  readonly sortColumn?: number;
  readonly sortDesc?: boolean;
  /** Shown when there are no rows. */
  readonly empty?: string;
  /** Lines shown below the rows where there is room (how to get builds in, on an empty machine). */
  readonly notes?: readonly string[] | null;
};

/** A column's title as shown in `width` columns: its short form when the full one (with the sort mark) would be cut. */
function titleOf(c: Column, width: number, mark: string): string {
  return (c.short !== undefined && c.title.length + mark.length > width ? c.short : c.title) + mark;
}

export function titleLine(columns: readonly Column[], widths: readonly number[], width: number, sortColumn?: number, sortDesc?: boolean): string {
  const titles = columns.map((c, i) => titleOf(c, widths[i] ?? 0, i === sortColumn ? (sortDesc ? '▼' : '▲') : ''));
  return formatLine(titles, columns, widths, width);
}

/** Cells laid out; a dropped column (width 0) takes no room and no gap. */
export function formatLine(cells: readonly string[], columns: readonly Column[], widths: readonly number[], width: number): string {
  const parts: string[] = [];
  columns.forEach((c, i) => { if ((widths[i] ?? 0) > 0) parts.push(fitWidth(cells[i] ?? '', widths[i]!, c.align)); });
  return fitWidth(parts.join(' '), width);
}

const COLOR: Readonly<Record<Tone, string | undefined>> = {
  normal: undefined, dim: undefined, running: 'cyan', done: 'green', failed: 'red', waiting: 'yellow', group: undefined,
};

type RowProps = {
  /** The row, already laid out. */
  readonly line: string;
  readonly tone: Tone;
  readonly selected: boolean;
};

const TableRow = memo(function TableRow({ line, tone, selected }: RowProps) {
  // Trailing blanks only matter under the selection bar; elsewhere Ink would style and draw them for nothing.
  const text = selected ? '›' + line : (' ' + line).trimEnd();
  return <Line text={text} inverse={selected} color={COLOR[tone]} dimColor={tone === 'dim'} bold={tone === 'group'} />;
});

export default function Table({ columns, widths, rows, index, offset, height, width, sortColumn, sortDesc, empty, notes }: Props) {
  // One column of gutter marks the selection where colours do not show (NO_COLOR, dumb terminals, tests).
  const inner = Math.max(1, width - 1);
  const title = useMemo(() => titleLine(columns, widths, inner, sortColumn, sortDesc), [columns, widths, inner, sortColumn, sortDesc]);
  const visible = rows.slice(0, height);
  return (
    <Box flexDirection="column" height={height + 1} width={width}>
      <Line bold text={(' ' + title).trimEnd()} />
      {visible.length === 0 && empty ? <Text dimColor>{fitWidth(' ' + empty, width)}</Text> : null}
      {visible.map((row, i) => (
        <TableRow key={row.key} line={formatLine(row.cells, columns, widths, inner)} tone={row.tone} selected={offset + i === index} />
      ))}
      {notes ? ['', ...notes].slice(0, Math.max(0, height - Math.max(1, visible.length))).map((n, i) => (
        <Text key={`note${i}`} color={i === 1 ? 'yellow' : undefined} wrap="truncate">{fitWidth(n === '' ? '' : ' ' + n, width)}</Text>
      )) : null}
    </Box>
  );
}
