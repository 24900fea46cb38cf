// The bottom two lines: a status line (messages, the filter being typed, the feed's state) and the keys of this view.
import React from 'react';
import { Box, Text } from 'ink';
import type { ViewId } from '../ui/keymap.js';
import { footerLine } from '../ui/keymap.js';
import type { Message } from '../ui/ui-state.js';

type Props = {
  readonly view: ViewId;
  /** The message of the last action, shown until the next key. */
  readonly message: Message | null;
  /** The filter text while it is being typed. */
  readonly editing: string | null;
  /** The search text while it is being typed. */
  readonly searching?: string | null;
  /** Shown when there is no message, e.g. "demo finished, q to quit". */
  readonly note: string;
  /** Another pane owns the keys (manual, dialog): its own hint replaces the key list. */
  readonly keysHint?: string;
  readonly width: number;
};

export default function Footer({ view, message, editing, searching = null, note, keysHint, width }: Props) {
  const keys = keysHint ?? footerLine(view, width);
  return (
    <Box flexDirection="column" width={width}>
      {editing !== null ? (
        <Text wrap="truncate">{`filter: ${editing}`}<Text inverse> </Text><Text dimColor>{'  Enter keep · Esc clear · C-u erase'}</Text></Text>
      ) : searching !== null ? (
        <Text wrap="truncate">{`search: ${searching}`}<Text inverse> </Text><Text dimColor>{'  Enter keep · n/N next/previous · Esc cancel'}</Text></Text>
      ) : message ? (
        <Text wrap="truncate" color={message.tone === 'error' ? 'red' : undefined}>{message.text}</Text>
      ) : (
        <Text wrap="truncate" dimColor>{note || ' '}</Text>
      )}
      <Text wrap="truncate" inverse>{keys.padEnd(width).slice(0, width)}</Text>
    </Box>
  );
}
