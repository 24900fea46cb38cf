// Eagle Eye's build pane (issue 15, `w`): the same widget `nix-btm run` draws, for the selected row's job.
import React, { useMemo } from 'react';
import { Box, Text } from 'ink';
import type { State } from '../state/model.js';
import type { EtaTable } from '../ui/eta-column.js';
import { widgetLines, type Tone } from '../widget/frame.js';

type Props = {
  readonly state: State;
  /** The job (source) of the selected row; null when the row belongs to none. */
  readonly source: string | null;
  readonly width: number;
  /** Rows the pane takes. */
  readonly height: number;
  /** Expected durations from the history (the LEFT column's), null without a history. */
  readonly eta: EtaTable | null;
};

const COLOR: Readonly<Record<Tone, string | undefined>> = {
  normal: undefined, frame: 'blue', running: 'yellow', done: 'green', failed: 'red', dim: undefined, waiting: 'magenta', download: 'cyan',
};

export default function BuildWidgetPane({ state, source, width, height, eta }: Props) {
  const lines = useMemo(() => (source === null ? []
    : widgetLines(state, [source], { now: state.now, rows: height, columns: width, eta, spinner: false })), [state, source, width, height, eta]);
  if (source === null) return <Box height={height}><Text dimColor>no job on this row (w hides the build pane)</Text></Box>;
  return (
    <Box flexDirection="column" height={height}>
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate">
          {line.map((s, j) => <Text key={j} color={COLOR[s.tone]} dimColor={s.tone === 'dim'}>{s.text}</Text>)}
        </Text>
      ))}
    </Box>
  );
}
