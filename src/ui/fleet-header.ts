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

/** A host's figures, most detailed first: the header gives up detail (for every host alike) until all fit. */
export function hostForms(h: HostView): readonly string[] {
  if (h.link === 'unreachable' || h.link === 'connecting' || h.link === 'daemon-down') {
    const word = h.link === 'daemon-down' ? 'daemon down' : h.link;
    const mark = h.link === 'connecting' ? '…' : MARK.failed;
    return [`${h.name} ${word}: ${h.detail}`, `${h.name} ${word}`, `${h.name} ${word}`, `${h.name} ${word}`, `${h.name} ${mark}`];
  }
  const host = h.state.host;
  const slots = h.maxJobs ?? (host?.cpuPercent.length || '?');
  const cpu = host && host.cpuPercent.length > 0 ? `${Math.round(host.cpuPercent.reduce((a, c) => a + c, 0) / host.cpuPercent.length)}%` : 'n/a';
  const mem = host && host.memTotalBytes > 0 ? `${Math.round((100 * host.memUsedBytes) / host.memTotalBytes)}%` : 'n/a';
  const disk = host?.diskFreeBytes != null ? bytes(host.diskFreeBytes) : 'n/a';
  const load = `${h.name} ${MARK.running}${runningBuilds(h.state)}/${slots}`;
  return [`${load} cpu ${cpu} mem ${mem} disk ${disk}`, `${load} cpu ${cpu} mem ${mem} disk ${disk}`, `${load} cpu ${cpu} mem ${mem}`, `${load} cpu ${cpu}`, load];
}

export const hostLoad = (h: HostView): string => hostForms(h)[0]!;

const SEPARATORS = [' │ ', ' │ ', ' │ ', ' │ ', '│'];
const length = (s: string): number => [...s].length;

/**
 * The per-host line in `width` columns: every host whole, with as much detail as fits for all of them; when even the
 * shortest forms do not fit, the hosts that fit and `+N` for the others (never an entry cut in the middle).
 */
export function fleetLine(hosts: readonly HostView[], width = Infinity): string {
  const forms = hosts.map(hostForms);
  for (let level = 0; level < SEPARATORS.length; level++) {
    const line = forms.map((f) => f[level]!).join(SEPARATORS[level]);
    if (length(line) <= width) return line;
  }
  const sep = SEPARATORS[SEPARATORS.length - 1]!;
  const shortest = forms.map((f) => f[f.length - 1]!);
  for (let shown = hosts.length - 1; shown > 0; shown--) {
    const line = `${shortest.slice(0, shown).join(sep)}${sep}+${hosts.length - shown}`;
    if (length(line) <= width) return line;
  }
  return `${hosts.length} hosts`;
}

/** The header's tally across hosts. */
export function sumCounts(all: readonly StatusCounts[]): StatusCounts {
  const sum: Record<string, number> = {};
  for (const c of all) for (const [k, v] of Object.entries(c)) sum[k] = (sum[k] ?? 0) + v;
  return sum as StatusCounts;
}
