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

/** What the pane says about the builder's environment: the lines, or why the daemon would not show them. */
export type EnvironLines = { readonly ok: true; readonly lines: readonly string[] } | { readonly ok: false; readonly reason: string };

/** Every line of the pane for the selected row (the pane scrolls over them): facts, environment, the whole log tail. */
export function detailLines(state: State, row: Row | undefined, environ: EnvironLines | null = null): string[] {
  if (!row) return ['nothing selected'];
  const drv = row.drvPath ? state.derivations.get(row.drvPath) : undefined;
  if (drv) {
    const head = [`${drv.name}  ${drv.status}${drv.status === 'running' && drv.phase ? `  ${drv.phase}` : ''}${drv.exitCode !== null ? `  exit code ${drv.exitCode}` : ''}`, drv.drvPath];
    if (drv.reason) head.push(`why: ${withoutDoubledSeverity(oneLine(drv.reason))}`);
    if (drv.phases.length > 0) head.push(`phases: ${drv.phases.join(' → ')}`);
    // Only a build still running has a builder; a pid from the last scan of a finished one would be a ghost.
    const builder = rowBuilder(state, row);
    if (builder) head.push(`builder: pid ${builder.pid} as ${builder.user}`);
    const env = !builder || !environ ? [] : environ.ok ? ['environment:', ...environ.lines.map(oneLine)]
      : [`environment not shown: the daemon refused (${environ.reason})`];
    const all = logLines(drv.log);
    return [...head, ...env, all.length > 0 ? `log (last ${all.length} lines):` : 'log: no lines yet', ...all.map((l) => `  ${oneLine(l)}`)];
  }
  const job = row.job ? state.jobs.get(row.job) : undefined;
  if (!job) return ['no details for this row'];
  const lines = [
    `job ${job.info.pid ?? '?'} ${job.info.user ?? ''}: ${oneLine(job.info.command)}`,
    `status ${job.status}${job.exitCode !== null ? ` (exit code ${job.exitCode})` : ''} · built ${job.progress.done}/${job.progress.expected}` +
      ` · ${job.errorCount} errors · ${job.warningCount} warnings · via ${job.info.via}`,
  ];
  const messages = state.messages.filter((m) => m.source === job.source);
  return [...lines, ...messages.map((m) => withSeverity(m.severity, oneLine(m.text)))];
}

/** Nix's own text often starts with "error: " already: the pane never says "error: error:". */
export function withSeverity(severity: string, text: string): string {
  return text.toLowerCase().startsWith(`${severity.toLowerCase()}:`) ? text : `${severity}: ${text}`;
}

const withoutDoubledSeverity = (text: string): string => text.replace(/^(error|warning): \1: /i, '$1: ');
