// What `nix-btm run`/`feed` show in the user's terminal while the log goes to the daemon: Nix's errors, warnings
// and plain output as Nix would print them, plus one progress line (redrawn in place on a terminal), like nom.
import { decodeLine } from '../ingest/decode.js';
import type { State } from '../state/model.js';
import { initialState, reduce } from '../state/reducer.js';
import { statusCounts, type StatusCounts } from '../state/selectors.js';
import { severityOf } from '../state/outcomes.js';

export type TerminalReport = { line(text: string): void; end(exitCode: number | null): void };

export function createTerminalReport(out: NodeJS.WriteStream): TerminalReport {
  const tty = Boolean(out.isTTY);
  let state: State = reduce(initialState(), { kind: 'source-open', at: Date.now(), source: 'run', info: { via: 'run', pid: null, uid: null, user: null, command: '' } });
  let shown = '';
  let lastDraw = 0;
  const clear = (): void => { if (tty && shown) { out.write('\r\u001b[K'); shown = ''; } };
  const draw = (force = false): void => {
    if (!tty || (!force && Date.now() - lastDraw < 100)) return;
    lastDraw = Date.now();
    const text = progressLine(state).slice(0, Math.max(20, (out.columns || 80) - 1));
    if (text !== shown) { out.write(`\r\u001b[K${text}`); shown = text; }
  };
  return {
    line(text) {
      const record = decodeLine(text);
      state = reduce(state, { kind: 'nix', at: Date.now(), source: 'run', record });
      const say = record.kind === 'text' ? text : record.kind === 'msg' && (severityOf(record.msg) || record.level <= 1) ? record.msg : null;
      if (say !== null) { clear(); out.write(say + '\n'); }
      draw();
    },
    end(exitCode) {
      state = reduce(state, { kind: 'source-close', at: Date.now(), source: 'run', exitCode, reason: 'eof' });
      clear();
      const c = statusCounts(state);
      if (state.derivations.size > 0) out.write(`nix-btm: ${endLine(c)}\n`);
    },
  };
}

function progressLine(state: State): string {
  const c = statusCounts(state);
  const running = [...state.derivations.values()].filter((d) => d.status === 'running');
  const now = running.slice(0, 2).map((d) => `${d.name}${d.phase ? ` (${d.phase})` : ''}`).join(', ');
  const total = state.derivations.size;
  return `[nix-btm] ⏵ ${c.running} running  ✔ ${c.built}/${total} built  ✘ ${c.failed} failed${now ? `  ${now}` : ''}`;
}

/** The end line of `run`/`feed`: the same outcomes as `replay` and the dashboard, the rarer ones only when present. */
export function endLine(c: StatusCounts): string {
  const also = [c.substituted > 0 ? `${c.substituted} substituted` : '', c.valid > 0 ? `${c.valid} already valid` : ''].filter((s) => s !== '');
  return `${c.built} built, ${also.length > 0 ? `${also.join(', ')}, ` : ''}${c.failed} failed, ${c.cancelled} cancelled, ${c.interrupted} interrupted`;
}
