// The signal picker and its confirmation, naming exactly what will be signalled.
import React from 'react';
import { Box, Text } from 'ink';
import { SIGNALS } from '../ui/feed.js';
import type { SignalTarget } from '../ui/feed.js';
import type { SignalDialog as Dialog } from '../ui/ui-state.js';

type Props = {
  readonly dialog: Dialog;
  readonly width: number;
};

const TARGET_WORDS: Readonly<Record<SignalTarget, string>> = {
  process: 'the process', build: 'the whole build', job: 'the whole job (its client)',
};

export const DIALOG_HEIGHT = 5;

export default function SignalDialog({ dialog, width }: Props) {
  const subject = dialog.subjects[dialog.target];
  const targets = (['process', 'build', 'job'] as const).filter((t) => dialog.subjects[t]);
  return (
    <Box flexDirection="column" borderStyle="double" borderColor="red" width={width} height={DIALOG_HEIGHT} paddingX={1}>
      {dialog.step === 'pick' ? (
        <>
          <Text wrap="truncate">
            {'Signal: '}
            {SIGNALS.map((s) => <Text key={s} inverse={s === dialog.signal}>{` ${s} `}</Text>)}
            <Text dimColor>{'  ↑↓'}</Text>
          </Text>
          <Text wrap="truncate">
            {'Target: '}
            {targets.map((t) => <Text key={t} inverse={t === dialog.target}>{` ${t} `}</Text>)}
            <Text dimColor>{'  ←→ · Enter next · Esc cancel'}</Text>
          </Text>
        </>
      ) : (
        <>
          <Text wrap="truncate" bold>{`Send ${dialog.signal} to ${TARGET_WORDS[dialog.target]}: ${subject?.label ?? '?'}?`}</Text>
          <Text wrap="truncate">{'y send · n cancel'}</Text>
        </>
      )}
    </Box>
  );
}
