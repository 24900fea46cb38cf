// The view tabs, with the current view's mode on the right.
import React from 'react';
import { Box, Text } from 'ink';
import type { ViewId } from '../ui/keymap.js';
import { VIEWS } from '../ui/keymap.js';

type Props = {
  readonly view: ViewId;
  /** Mode of the current view, e.g. "tree · Nix processes". */
  readonly mode: string;
  readonly width: number;
};

export default function Tabs({ view, mode, width }: Props) {
  const used = VIEWS.reduce((s, v, i) => s + v.title.length + String(i + 1).length + 3, 0);
  return (
    <Box width={width}>
      {VIEWS.map((v, i) => (
        <Text key={v.id} inverse={v.id === view} bold={v.id === view}>{` ${i + 1} ${v.title} `}</Text>
      ))}
      <Text dimColor wrap="truncate">{` ${mode}`.slice(0, Math.max(0, width - used))}</Text>
    </Box>
  );
}
