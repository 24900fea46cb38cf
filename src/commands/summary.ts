// The readable table `replay` and `status` print without --json.
import type { Derivation, State } from '../state/model.js';
import { durationMs, statusCounts } from '../state/selectors.js';
import { MARK } from '../state/marks.js';
import { sanitize } from '../state/text.js';


/** Where each outcome comes from, as `replay` says it (issue 9: confirmed from the store, or inferred). */
const BASIS: Record<NonNullable<Derivation['basis']>, string> = {
  store: 'store', nix: 'nix said', counters: 'counters', inferred: 'inferred',
};

export function summaryTable(state: State, width: number): string {
  const rows = [...state.derivations.values()];
  const nameWidth = Math.min(48, Math.max(4, ...rows.map((d) => d.name.length)));
  const lines = [`${'STATUS'.padEnd(13)} ${'NAME'.padEnd(nameWidth)} ${'TIME'.padStart(7)}  ${'FROM'.padEnd(8)}  DETAIL`];
  for (const d of rows) {
    const ms = durationMs(d);
    const time = ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`;
    const detail = d.status === 'failed' ? (d.reason ?? 'failed') : d.status === 'running' ? (d.phase ?? '') : (d.reason ?? d.phase ?? '');
    const from = d.basis === null ? '-' : BASIS[d.basis];
    const line = `${MARK[d.status]} ${d.status.padEnd(11)} ${d.name.slice(0, nameWidth).padEnd(nameWidth)} ${time.padStart(7)}  ${from.padEnd(8)}  ${oneLine(detail)}`;
    lines.push(line.slice(0, Math.max(40, width)));
  }
  const c = statusCounts(state);
  lines.push('', `${rows.length} derivations: ${c.built} built, ${c.substituted} substituted, ${c.valid} already valid, ` +
    `${c.failed} failed, ${c.cancelled} cancelled, ${c.interrupted} interrupted, ${c.running} running, ${c.planned + c.waiting} not started`);
  const b = basisCounts(rows);
  lines.push(`outcomes: ${b.store} confirmed from the store, ${b.nix} as Nix said, ${b.counters} from its counters, ${b.inferred} inferred`);
  for (const m of state.messages.filter((x) => x.severity === 'error')) {
    const where = m.file ? ` (${m.file}${m.line !== null ? `:${m.line}` : ''}${m.column !== null ? `:${m.column}` : ''})` : '';
    lines.push(`${m.text.split('\n', 1)[0]}${where}`);
  }
  for (const j of state.jobs.values()) if (j.cannotBuild) lines.push(`${j.info.command}: ${j.cannotBuild}`);
  if (state.decodeErrors > 0) lines.push(`${state.decodeErrors} lines could not be decoded`);
  // Names and messages can come from any peer of the daemon: no control character reaches the terminal.
  return lines.map((l) => sanitize(l)).join('\n') + '\n';
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' | ');

function basisCounts(rows: readonly Derivation[]): Record<NonNullable<Derivation['basis']>, number> {
  const out = { store: 0, nix: 0, counters: 0, inferred: 0 };
  for (const d of rows) if (d.basis !== null) out[d.basis]++;
  return out;
}
