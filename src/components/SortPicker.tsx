// The sort-by picker (F6, as htop's): the view's columns in a list, the current sort column marked.
import React from 'react';
import { Box, Text } from 'ink';
import type { Column } from '../ui/rows.js';
import { fitWidth } from '../ui/format.js';

type Props = {
  readonly columns: readonly Column[];
  /** The column under the cursor. */
  readonly at: number;
  /** The column sorted by now. */
  readonly current: number;
  /** Lines it may use, its border included. */
  readonly height: number;
  readonly width: number;
};

export default function SortPicker({ columns, at, current, height, width }: Props) {
  const room = Math.max(1, height - 3);
  const first = Math.max(0, Math.min(at - Math.floor(room / 2), columns.length - room));
  const inner = Math.max(1, Math.min(width, 34) - 4);
  return (
    <Box flexDirection="column" borderStyle="round" width={Math.min(width, 34)} height={height} paddingX={1}>
      <Text bold wrap="truncate">{fitWidth('Sort by', inner)}</Text>
      {columns.slice(first, first + room).map((c, k) => {
        const i = first + k;
        return <Text key={c.title} inverse={i === at} wrap="truncate">{fitWidth(`${i === current ? '•' : ' '} ${c.title}`, inner)}</Text>;
      })}
    </Box>
  );
}
