// The manual: a scrollable pane over the view, with every key, every view, the mouse, the commands and how to set
// Nix up. Its lines come already wrapped to the pane (wrapLines), so none is cut.
import React from 'react';
import { Box, Text } from 'ink';
import { fitWidth } from '../ui/format.js';

type Props = {
  readonly lines: readonly string[];
  /** First line shown. */
  readonly offset: number;
  /** Lines of text that fit (the border and title take three more). */
  readonly height: number;
  readonly width: number;
};

export default function Manual({ lines, offset, height, width }: Props) {
  const inner = Math.max(10, width - 4);
  const shown = lines.slice(offset, offset + height);
  const position = `${Math.min(lines.length, offset + height)}/${lines.length}`;
  return (
    <Box flexDirection="column" borderStyle="round" width={width} height={height + 3} paddingX={1}>
      <Text bold wrap="truncate">{fitWidth(`Manual  (↑↓ PgUp PgDn scroll · End last line · Esc close)`, inner - position.length - 1)} {position}</Text>
      {shown.map((line, i) => <Text key={offset + i} wrap="truncate">{fitWidth(line, inner)}</Text>)}
    </Box>
  );
}
