// The header's per-host line when several machines are watched: each host's running builds / slots, CPU, memory and
// free disk, or why it is not live (reconnecting, its daemon down).
import type { State } from '../state/model.js';
import type { StatusCounts } from '../state/selectors.js';
import { MARK } from '../state/marks.js';
import { bytes } from './format.js';
import type { HostView } from './fleet-store.js';

const running = new WeakMap<State, number>();

/** Running builds of a state, counted once per state version (the reducer replaces the state object it changes). */
function runningBuilds(s: State): number {
  let n = running.get(s);
  if (n === undefined) {
    n = 0;
    for (const d of s.derivations.values()) if (d.status === 'running') n++;
    running.set(s, n);
  }
  return n;
}

export function hostLoad(h: HostView): string {
  if (h.link === 'unreachable' || h.link === 'connecting' || h.link === 'daemon-down') {
    const word = h.link === 'daemon-down' ? 'daemon down' : h.link;
    return `${h.name} ${word}: ${h.detail}`;
  }
  const host = h.state.host;
  const slots = h.maxJobs ?? (host?.cpuPercent.length || '?');
  const cpu = host && host.cpuPercent.length > 0 ? `${Math.round(host.cpuPercent.reduce((a, c) => a + c, 0) / host.cpuPercent.length)}%` : 'n/a';
  const mem = host && host.memTotalBytes > 0 ? `${Math.round((100 * host.memUsedBytes) / host.memTotalBytes)}%` : 'n/a';
  const disk = host?.diskFreeBytes != null ? bytes(host.diskFreeBytes) : 'n/a';
  return `${h.name} ${MARK.running}${runningBuilds(h.state)}/${slots} cpu ${cpu} mem ${mem} disk ${disk}`;
}

export const fleetLine = (hosts: readonly HostView[]): string => hosts.map(hostLoad).join(' │ ');

/** The header's tally across hosts. */
export function sumCounts(all: readonly StatusCounts[]): StatusCounts {
  const sum: Record<string, number> = {};
  for (const c of all) for (const [k, v] of Object.entries(c)) sum[k] = (sum[k] ?? 0) + v;
  return sum as StatusCounts;
}
