// History view: past jobs (Enter: a job's derivations, with a sparkline of the selected one's past durations), or the
// analytics pane (m): build time per day as text bars, slowest, most rebuilt, failure rates, cache hits.
import React from 'react';
import { Box, Text } from 'ink';
import Table from './Table.js';
import type { ViewProps } from './view-props.js';
import { fitWidth } from '../ui/format.js';
import { wrapLines } from '../ui/manual.js';
import type { HistoryData } from '../ui/use-history.js';
import { seconds, sparkline, statsText } from '../history/text.js';
import { fleetStatsText } from '../ui/fleet-history-rows.js';

type Props = ViewProps & {
  readonly data: HistoryData;
  /** Past durations of the selected derivation (a job's derivations only). */
  readonly series: { readonly name: string; readonly points: readonly { at: number; ms: number }[] } | null;
  /** Lines the series pane may use, its border included; 0: none. */
  readonly paneHeight: number;
};

export default function HistoryView({ data, series, paneHeight, ...props }: Props) {
  const { width, height } = props;
  // Wrapped, never cut: on a narrow terminal the reason still reads whole.
  if (data.kind === 'none') {
    const lines = wrapLines([data.message], Math.max(10, width - 2)).map((l) => ` ${l}`).slice(0, height + 1);
    return <Box flexDirection="column">{lines.map((l, i) => <Text key={i} wrap="truncate">{fitWidth(l, width)}</Text>)}</Box>;
  }
  if (data.kind === 'stats') {
    // Several machines: each host's analytics under its name (one database's sums are not another's).
    const lines = (data.perHost ? fleetStatsText(data.perHost, width, height + 1) : statsText(data.stats, width)).split('\n').slice(0, height + 1);
    return <Box flexDirection="column">{lines.map((l, i) => <Text key={i} wrap="truncate">{fitWidth(l, width)}</Text>)}</Box>;
  }
  const empty = props.noMatch ?? (data.kind === 'job' ? 'this job has no derivations in the history' : 'no jobs in the history yet: they appear as they finish');
  return (
    <Box flexDirection="column">
      <Table columns={props.columns} widths={props.widths} rows={props.rows} index={props.index} offset={props.offset} height={height}
        width={width} sortColumn={props.sort.column} sortDesc={props.sort.desc} empty={empty} />
      {paneHeight > 0 ? (
        <Box flexDirection="column" borderStyle="single" height={paneHeight} width={width} paddingX={1}>
          {seriesLines(series, width - 4).slice(0, paneHeight - 2).map((l, i) => <Text key={i} wrap="truncate">{fitWidth(l, width - 4)}</Text>)}
        </Box>
      ) : null}
    </Box>
  );
}

function seriesLines(series: Props['series'], width: number): string[] {
  if (!series) return ['duration over time: select a derivation'];
  const ms = series.points.map((p) => p.ms);
  if (ms.length === 0) return [`${series.name}: no finished builds in the history`];
  const last = ms[ms.length - 1]!;
  const sorted = [...ms].sort((a, b) => a - b);
  return [
    `${series.name}: ${ms.length} builds · last ${seconds(last)} · median ${seconds(sorted[sorted.length >> 1]!)} · min ${seconds(sorted[0]!)} · max ${seconds(sorted[sorted.length - 1]!)}`,
    sparkline(ms.slice(-Math.max(1, width))),
  ];
}
