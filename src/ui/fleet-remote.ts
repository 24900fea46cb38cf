// A build Nix offloaded (`building '<drv>' on 'ssh://host'`) to a machine that is also watched: under the local
// derivation's row, what that machine's daemon sees of the same .drv (store paths are the same on both): its
// status and phase, each builder process with its CPU and memory, and the last log lines it holds.
import type { Derivation, State } from '../state/model.js';
import { matchMachine } from '../remote/machine-name.js';
import type { HostView } from './fleet-store.js';
import type { Column, Row } from './rows.js';
import { bytes, oneLine } from './format.js';

const LOG_LINES = 2;

/** The watched host a machine name stands for: the same ssh destination, the same host, or both this machine (remote/machine-name.ts). */
export function watchedMachine(machine: string | null, hosts: readonly HostView[]): HostView | null {
  return matchMachine(machine, hosts);
}

/** The rows shown under `row` (a derivation of `host`'s state) when it was built on another watched host. */
export function offloadedRows(row: Row, host: HostView, hosts: readonly HostView[], columns: readonly Column[]): Row[] {
  if (row.drvPath === undefined) return [];
  const d = host.state.derivations.get(row.drvPath);
  const there = d && d.machine ? watchedMachine(d.machine, hosts) : null;
  if (!there || there.name === host.name) return [];
  const theirs = there.state.derivations.get(row.drvPath);
  const flex = Math.max(0, columns.findIndex((c) => c.flex));
  const line = (key: string, text: string, tone: Row['tone']): Row => {
    const cells = columns.map((_, i) => (i === flex ? text : ''));
    return { key: `${row.key}>on:${there.name}:${key}`, cells, tone, host: there.name, drvPath: row.drvPath };
  };
  if (!theirs) return [line('none', `      ↳ on ${there.name}: not seen there (${there.link})`, 'dim')];
  const out = [line('drv', `      ↳ on ${there.name}: ${status(theirs)}`, theirs.status === 'running' ? 'running' : 'dim')];
  for (const p of builderProcesses(there.state, row.drvPath)) {
    out.push({ ...line(`p${p.pid}`, `        ${p.pid} ${p.user} ${Math.round(p.cpuPercent)}% ${bytes(p.rssBytes)} ${oneLine(p.command)}`, 'normal'),
      targets: { process: { pid: p.pid, startedAt: p.startedAt, label: `pid ${p.pid} on ${there.name}`, host: there.name } } });
  }
  const tail = theirs.log.buf.slice(Math.max(theirs.log.start, theirs.log.end - LOG_LINES), theirs.log.end);
  tail.forEach((l, i) => out.push(line(`l${i}`, `        │ ${oneLine(l)}`, 'dim')));
  return out;
}

const status = (d: Derivation): string => [d.status, d.phase].filter((x) => x !== null && x !== '').join(' · ');

function builderProcesses(s: State, drvPath: string): State['processes'] {
  return s.processes.filter((p) => p.drvPath === drvPath && (p.role === 'builder' || p.role === 'builder-child'));
}
