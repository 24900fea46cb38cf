// Process view: the Nix process forest, as a tree or a list.
import React from 'react';
import Table from './Table.js';
import type { ViewProps } from './view-props.js';

export default function ProcessView({ rows, widths, columns, index, offset, height, width, sort, noMatch, firstSteps }: ViewProps) {
  return (
    <Table columns={columns} rows={rows} widths={widths} index={index} offset={offset} height={height} width={width} sortColumn={sort.column} sortDesc={sort.desc}
      notes={firstSteps} empty={noMatch ?? 'no Nix processes seen yet (a: show all processes)'} />
  );
}
