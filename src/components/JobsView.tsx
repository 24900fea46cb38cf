// Jobs view: every job and its builds and transfers; Enter opens a detail pane below the table.
import React from 'react';
import { Box, Text } from 'ink';
import Table from './Table.js';
import type { ViewProps } from './view-props.js';
import { fitWidth } from '../ui/format.js';

type Props = ViewProps & {
  /** Lines of the detail pane; null when it is closed. */
  readonly detail: readonly string[] | null;
  /** Lines the detail pane may use, its border included. */
  readonly detailHeight: number;
};

export default function JobsView({ rows, total, columns, index, offset, height, width, sort, detail, detailHeight, noMatch }: Props) {
  return (
    <Box flexDirection="column">
      <Table columns={columns} rows={rows} total={total} index={index} offset={offset} height={height} width={width}
        sortColumn={sort.column} sortDesc={sort.desc} empty={noMatch ?? 'no jobs yet: nothing has asked Nix to build'} />
      {detail ? (
        <Box flexDirection="column" borderStyle="single" height={detailHeight} width={width} paddingX={1}>
          {detail.slice(0, Math.max(0, detailHeight - 2)).map((line, i) => <Text key={i} wrap="truncate">{fitWidth(line, width - 4)}</Text>)}
        </Box>
      ) : null}
    </Box>
  );
}
