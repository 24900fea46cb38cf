// Eagle Eye: every target of every client as a tree of derivations.
import React from 'react';
import Table from './Table.js';
import type { ViewProps } from './view-props.js';

export default function EagleEyeView({ rows, widths, columns, index, offset, height, width, noMatch, firstSteps }: ViewProps) {
  return (
    <Table columns={columns} rows={rows} widths={widths} index={index} offset={offset} height={height} width={width}
      notes={firstSteps} empty={noMatch ?? 'no jobs yet: nothing has asked Nix to build'} />
  );
}
