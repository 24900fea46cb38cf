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

/** Tabs in full when they and the mode fit; else the other views by number only, so the mode (a filter) stays read. */
export default function Tabs({ view, mode, width }: Props) {
  const full = VIEWS.map((v, i) => ` ${i + 1} ${v.title} `);
  const fits = full.reduce((s, t) => s + t.length, 0) + mode.length + 1 <= width;
  const labels = fits ? full : VIEWS.map((v, i) => (v.id === view ? full[i] as string : ` ${i + 1} `));
  const used = labels.reduce((s, t) => s + t.length, 0);
  return (
    <Box width={width}>
      {VIEWS.map((v, i) => (
        <Text key={v.id} inverse={v.id === view} bold={v.id === view}>{labels[i]}</Text>
      ))}
      <Text dimColor wrap="truncate">{` ${mode}`.slice(0, Math.max(0, width - used))}</Text>
    </Box>
  );
}
