// The top three lines: who and where, what the builds are doing (and disk, network, load), how busy the machine is.
import React, { useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import type { HostInfo } from '../state/events.js';
import type { StatusCounts } from '../state/selectors.js';
import { MARK, TRANSFER_MARK } from '../state/marks.js';
import type { FeedStatus } from '../ui/feed.js';
import { bar, bytes, fitWidth } from '../ui/format.js';
import type { HostMeters } from '../ui/meters.js';
import { diskLow } from '../ui/meters.js';

type Props = {
  /** Machine figures from the last process scan; null before the first. */
  readonly host: HostInfo | null;
  /** Disk, network and load, read on their own slow timer; absent for a recording. */
  readonly meters?: () => HostMeters | null;
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

/**
 * The daemon's part of the first line. Lost once connected: since when, and that the rows are as it last said
 * (they no longer move); never reached yet: retrying, not "lost".
 */
export function daemonLabel(status: FeedStatus): string {
  if (status.kind !== 'reconnecting') return DAEMON[status.kind];
  if (status.lostAt === undefined) return 'daemon: not reached, retrying';
  const at = new Date(status.lostAt);
  const hms = [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  return `daemon: lost at ${hms}, reconnecting; rows as it last said`;
}

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

const rate = (n: number | null): string => (n === null ? '-' : `${bytes(n)}/s`);

/** The right end of the second line, in the order pieces are given up when narrow: network, then load, then disk. */
export function sideMeters(m: HostMeters | null, room: number): { disk: string; rest: string } {
  if (!m) return { disk: '', rest: '' };
  const disk = m.diskFreeBytes === null ? '' : `${m.storePath} ${bytes(m.diskFreeBytes)} free`;
  const load = `load ${m.load.map((l) => l.toFixed(2)).join(' ')}`;
  const net = `net ↓${rate(m.rxBytesPerSec)} ↑${rate(m.txBytesPerSec)}`;
  for (const parts of [[load, net], [load], []]) {
    const rest = parts.length > 0 ? `  ${parts.join('  ')}` : '';
    if (disk.length + rest.length + 2 <= room) return { disk, rest };
  }
  return { disk: disk.length + 2 <= room ? disk : '', rest: '' };
}

/** Samples the meters every `everyMs` (statfs and /proc/net/dev: microseconds), off the frame path. */
function useMeters(sample: (() => HostMeters | null) | undefined, everyMs = 3000): HostMeters | null {
  const [m, setM] = useState<HostMeters | null>(() => sample?.() ?? null);
  useEffect(() => {
    if (!sample) return;
    const timer = setInterval(() => setM(sample()), everyMs);
    return () => clearInterval(timer);
  }, [sample, everyMs]);
  return m;
}

export default function Header({ host, meters: sample, counts, status, paused, unseen, width, fleet }: Props) {
  const m = useMeters(sample);
  const who = [`nix-btm`, host?.hostname ?? 'no host data', host?.nixVersion ? `Nix ${host.nixVersion}` : 'Nix ?'];
  const daemon = daemonLabel(status);
  const queued = counts.planned + counts.waiting;
  const tally = `${MARK.running} ${counts.running} running  ${MARK.built} ${counts.built} built  ${MARK.failed} ${counts.failed} failed  ${MARK.planned} ${queued} queued  ${TRANSFER_MARK.running} ${counts.downloads} downloads`;
  const pause = paused ? ` PAUSED${unseen > 0 ? ` +${unseen}` : ''} ` : '';
  const shownTally = fitWidth(tally, Math.min(tally.length, width - pause.length));
  const side = sideMeters(m, width - shownTally.length - pause.length);
  const gap = ' '.repeat(Math.max(0, width - shownTally.length - pause.length - side.disk.length - side.rest.length));
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold>{who.join(' │ ')} │ </Text>
        {status.kind === 'reconnecting' ? <Text bold inverse color="red">{daemon}</Text> : <Text bold>{daemon}</Text>}
        <Text dimColor>{status.detail ? ` │ ${status.detail}` : ''}</Text>
      </Text>
      <Text wrap="truncate">
        {shownTally}
        {pause ? <Text inverse color="yellow">{pause}</Text> : null}
        {side.disk || side.rest ? gap : ''}
        {side.disk ? <Text color={m && diskLow(m) ? 'red' : undefined} bold={m !== null && diskLow(m)}>{side.disk}</Text> : null}
        {side.rest}
      </Text>
      <Text wrap="truncate">{fitWidth(fleet ?? meters(host, width), width)}</Text>
    </Box>
  );
}
