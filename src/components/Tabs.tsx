// The view tabs, the current view's mode, and the row position at the right end (where its width never moves a
// column title: the counter has the tabs line to itself).
import React from 'react';
import { Box, Text } from 'ink';
import type { ViewId } from '../ui/keymap.js';
import { VIEWS, tabLabels } from '../ui/keymap.js';
import { fitWidth } from '../ui/format.js';

type Props = {
  readonly view: ViewId;
  /** Mode of the current view, e.g. "tree · Nix processes". */
  readonly mode: string;
  /** "12/340": the selected row and the rows in the list. */
  readonly position: string;
  readonly width: number;
};

export default function Tabs({ view, mode, position, width }: Props) {
  const labels = tabLabels(view, width, mode, position);
  const used = labels.join('').length;
  const room = Math.max(0, width - used);
  const pos = position.length + 1 <= room ? position : '';
  const modeText = fitWidth(` ${mode}`, Math.max(0, room - pos.length - (pos ? 1 : 0)));
  return (
    <Box width={width}>
      {labels.map((label, i) => (
        <Text key={label} inverse={VIEWS[i]!.id === view} bold={VIEWS[i]!.id === view}>{label}</Text>
      ))}
      <Text dimColor wrap="truncate">{modeText}</Text>
      {pos ? <Text wrap="truncate">{` ${pos}`}</Text> : null}
    </Box>
  );
}
