// The detail pane's lines for the selected row: a build's log tail and what Nix said about it, or a job's messages.
import type { ProcessInfo } from '../state/events.js';
import type { State } from '../state/model.js';
import { logLines } from '../state/log-tail.js';
import { oneLine } from './format.js';
import type { Row } from './rows.js';

/** The running builder of the derivation a row shows, if any. */
export function rowBuilder(state: State, row: Row | undefined): ProcessInfo | null {
  const drvPath = row?.drvPath;
  if (!drvPath || state.derivations.get(drvPath)?.status !== 'running') return null;
  return state.processes.find((p) => p.role === 'builder' && p.drvPath === drvPath) ?? null;
}

export function detailLines(state: State, row: Row | undefined, max: number, environ: readonly string[] | null = null): string[] {
  if (!row) return ['nothing selected'];
  const drv = row.drvPath ? state.derivations.get(row.drvPath) : undefined;
  if (drv) {
    const head = [`${drv.name}  ${drv.status}${drv.phase ? `  ${drv.phase}` : ''}${drv.exitCode !== null ? `  exit code ${drv.exitCode}` : ''}`, drv.drvPath];
    if (drv.reason) head.push(`why: ${oneLine(drv.reason)}`);
    if (drv.phases.length > 0) head.push(`phases: ${drv.phases.join(' → ')}`);
    const builder = state.processes.find((p) => p.role === 'builder' && p.drvPath === drv.drvPath);
    if (builder) head.push(`builder: pid ${builder.pid} as ${builder.user}`);
    const env = builder && environ ? ['environment:', ...environ.map(oneLine)] : [];
    const room = Math.max(0, max - head.length - 1 - Math.min(env.length, Math.floor(max / 2)));
    const all = logLines(drv.log);
    const tail = all.slice(-room).map((l) => `  ${oneLine(l)}`);
    return [...head, all.length > 0 ? `log (last ${tail.length} lines):` : 'log: no lines yet', ...tail, ...env];
  }
  const job = row.job ? state.jobs.get(row.job) : undefined;
  if (!job) return ['no details for this row'];
  const lines = [
    `job ${job.info.pid ?? '?'} ${job.info.user ?? ''}: ${oneLine(job.info.command)}`,
    `status ${job.status}${job.exitCode !== null ? ` (exit code ${job.exitCode})` : ''} · built ${job.progress.done}/${job.progress.expected}` +
      ` · ${job.errorCount} errors · ${job.warningCount} warnings · via ${job.info.via}`,
  ];
  const messages = state.messages.filter((m) => m.source === job.source).slice(-Math.max(0, max - lines.length));
  return [...lines, ...messages.map((m) => `${m.severity}: ${oneLine(m.text)}`)];
}
