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
  /** The visible rows only (the window), so no component ever receives thousands of rows. */
  readonly rows: readonly Row[];
  /** Rows in the whole list, for the position indicator. */
  readonly total: number;
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
};

/** Each column's width for a total width: fixed ones as asked, the flex one takes the rest. */
export function layout(columns: readonly Column[], width: number): number[] {
  const fixed = columns.reduce((s, c) => s + (c.flex ? 0 : c.width), 0) + Math.max(0, columns.length - 1);
  return columns.map((c) => (c.flex ? Math.max(c.width, width - fixed) : c.width));
}

/** A column's title as shown in `width` columns: its short form when the full one (with the sort mark) would be cut. */
function titleOf(c: Column, width: number, mark: string): string {
  return (c.short !== undefined && c.title.length + mark.length > width ? c.short : c.title) + mark;
}

/** The title line's cells, and the widths that leave `room` free at the right end of it (for the position counter). */
export function titleLayout(columns: readonly Column[], width: number, room: number, sortColumn?: number, sortDesc?: boolean): { widths: number[]; line: string } {
  const titlesFor = (widths: readonly number[]): string[] =>
    columns.map((c, i) => titleOf(c, widths[i] ?? 0, i === sortColumn ? (sortDesc ? '▼' : '▲') : ''));
  let widths = layout(columns, width);
  let line = formatLine(titlesFor(widths), columns, widths, width);
  if (line.trimEnd().length > width - room) {
    widths = layout(columns, width - room);
    line = formatLine(titlesFor(widths), columns, widths, width);
  }
  return { widths, line };
}

export function formatLine(cells: readonly string[], columns: readonly Column[], widths: readonly number[], width: number): string {
  const line = columns.map((c, i) => fitWidth(cells[i] ?? '', widths[i] ?? 0, c.align)).join(' ');
  return fitWidth(line, width);
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

export default function Table({ columns, rows, total, index, offset, height, width, sortColumn, sortDesc, empty }: Props) {
  // One column of gutter marks the selection where colours do not show (NO_COLOR, dumb terminals, tests).
  const inner = Math.max(1, width - 1);
  // The counter never grows past "total/total": when the titles would run into it, the flex column gives up that room.
  const room = 2 * String(total).length + 2;
  const { widths, line } = useMemo(() => titleLayout(columns, inner, room, sortColumn, sortDesc), [columns, inner, room, sortColumn, sortDesc]);
  const position = total === 0 ? '0/0' : `${index + 1}/${total}`;
  const title = ' ' + [...line].slice(0, Math.max(0, inner - position.length - 1)).join('');
  const visible = rows.slice(0, height);
  return (
    <Box flexDirection="column" height={height + 1} width={width}>
      <Line bold text={`${title} ${position}`} />
      {visible.length === 0 && empty ? <Text dimColor>{fitWidth(empty, width)}</Text> : null}
      {visible.map((row, i) => (
        <TableRow key={row.key} line={formatLine(row.cells, columns, widths, inner)} tone={row.tone} selected={offset + i === index} />
      ))}
    </Box>
  );
}
