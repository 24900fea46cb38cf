// The top three lines: who and where, what the builds are doing, how busy the machine is.
import React from 'react';
import { Box, Text } from 'ink';
import type { HostInfo } from '../state/events.js';
import type { StatusCounts } from '../state/selectors.js';
import type { FeedStatus } from '../ui/feed.js';
import { bar, bytes, fitWidth } from '../ui/format.js';

type Props = {
  /** Machine figures from the last process scan; null before the first. */
  readonly host: HostInfo | null;
  readonly counts: StatusCounts;
  readonly status: FeedStatus;
  readonly paused: boolean;
  /** Events reduced while paused. */
  readonly unseen: number;
  readonly width: number;
  /** Several machines watched: their load, one line (src/ui/fleet-header.ts), instead of this machine's meters. */
  readonly fleet?: string | null;
};

const DAEMON: Readonly<Record<FeedStatus['kind'], string>> = {
  connected: 'daemon: connected', 'started-by-ui': 'daemon: started by this UI', reconnecting: 'daemon: lost, reconnecting',
  demo: 'demo', replay: 'replay', none: 'no daemon',
};

export function meters(host: HostInfo | null, width: number): string {
  if (!host || host.cpuPercent.length === 0) return 'CPU n/a  Mem n/a';
  const mem = host.memTotalBytes > 0 ? `Mem${bar((host.memUsedBytes / host.memTotalBytes) * 100, 12)} ${bytes(host.memUsedBytes)}/${bytes(host.memTotalBytes)}` : 'Mem n/a';
  const room = width - mem.length - 1;
  const n = host.cpuPercent.length;
  const each = Math.floor(room / n) - 1;
  if (each < 9) {
    const avg = host.cpuPercent.reduce((s, c) => s + c, 0) / n;
    return `CPU×${n}${bar(avg, Math.max(8, room - 7))} ${mem}`;
  }
  return host.cpuPercent.map((c, i) => `${i}${bar(c, each - String(i).length)}`).join(' ') + ' ' + mem;
}

export default function Header({ host, counts, status, paused, unseen, width, fleet }: Props) {
  const who = [`nix-btm`, host?.hostname ?? 'no host data', host?.nixVersion ? `Nix ${host.nixVersion}` : 'Nix ?', DAEMON[status.kind]];
  const queued = counts.planned + counts.waiting;
  const tally = `⏵ ${counts.running} running  ✔ ${counts.built} built  ✘ ${counts.failed} failed  ⏸ ${queued} queued  ↓ ${counts.downloads} downloads`;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold>{who.join(' │ ')}</Text>
        <Text dimColor>{status.detail ? ` │ ${status.detail}` : ''}</Text>
      </Text>
      <Text wrap="truncate">
        {tally}
        {paused ? <Text inverse color="yellow">{` PAUSED${unseen > 0 ? ` +${unseen}` : ''} `}</Text> : null}
      </Text>
      <Text wrap="truncate">{fitWidth(fleet ?? meters(host, width), width)}</Text>
    </Box>
  );
}
