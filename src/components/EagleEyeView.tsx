// Eagle Eye: every target of every client as a tree of derivations.
import React from 'react';
import { Box } from 'ink';
import Table from './Table.js';
import type { ViewProps } from './view-props.js';
// issue 15 (widget pane): the selected job's build, drawn as `nix-btm run` draws it.
import BuildWidgetPane from './BuildWidgetPane.js';
import type { State } from '../state/model.js';
import type { EtaTable } from '../ui/eta-column.js';

/** issue 15 (widget pane): what the pane needs; absent or `shown: false` leaves the view as it was. */
export type EaglePane = { readonly shown: boolean; readonly state: State; readonly eta: EtaTable | null; readonly height: number };

export default function EagleEyeView({ rows, widths, columns, index, offset, height, width, noMatch, firstSteps, pane }: ViewProps & { readonly pane?: EaglePane }) {
  const table = (
    <Table columns={columns} rows={rows} widths={widths} index={index} offset={offset} height={height} width={width}
      notes={firstSteps} empty={noMatch ?? 'no jobs yet: nothing has asked Nix to build'} />
  );
  if (!pane?.shown) return table;
  return (
    <Box flexDirection="column">
      {table}
      <BuildWidgetPane state={pane.state} source={rows[index - offset]?.job ?? null} width={width} height={pane.height} eta={pane.eta} />
    </Box>
  );
}
