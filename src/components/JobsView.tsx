// Jobs view: every job and its builds and transfers; Enter opens a scrollable detail pane below the table.
import React from 'react';
import { Box, Text } from 'ink';
import Table from './Table.js';
import type { ViewProps } from './view-props.js';
import { fitWidth } from '../ui/format.js';
import { matches } from '../ui/rows.js';

type Props = ViewProps & {
  /** The lines of the detail pane in view (it scrolls); null when it is closed. */
  readonly detail: readonly string[] | null;
  /** Lines the detail pane may use, its border included. */
  readonly detailHeight: number;
  /** "last line shown/lines", on the pane's bottom line. */
  readonly detailPosition: string;
  /** Lines matching the search are marked. */
  readonly search: string;
};

export default function JobsView({ rows, widths, columns, index, offset, height, width, sort, detail, detailHeight, detailPosition, search, noMatch, firstSteps }: Props) {
  const inner = Math.max(1, width - 4);
  return (
    <Box flexDirection="column">
      <Table columns={columns} rows={rows} widths={widths} index={index} offset={offset} height={height} width={width}
        sortColumn={sort.column} sortDesc={sort.desc} notes={firstSteps} empty={noMatch ?? 'no jobs yet: nothing has asked Nix to build'} />
      {detail ? (
        <Box flexDirection="column" borderStyle="single" height={detailHeight} width={width} paddingX={1}>
          {detail.slice(0, Math.max(0, detailHeight - 2)).map((line, i, all) => {
            const last = i === all.length - 1 && all.length === detailHeight - 2;
            const text = last ? fitWidth(line, inner - detailPosition.length - 1) + ' ' + detailPosition : fitWidth(line, inner);
            return <Text key={i} wrap="truncate" inverse={search !== '' && matches(search, line)}>{text}</Text>;
          })}
        </Box>
      ) : null}
    </Box>
  );
}
