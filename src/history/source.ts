// Where a reader gets history answers: the daemon (control socket) or a database file opened read-only.
import { hostname } from 'node:os';
import type { HistoryQuery } from './protocol.js';
import { HistoryQueries } from './queries.js';
import { runQuery } from './run-query.js';
import { describe, HistoryError, openHistory, SCHEMA_VERSION } from './schema.js';

export type HistoryAnswer = { readonly ok: true; readonly result: unknown; readonly historyError: string | null } | { readonly ok: false; readonly reason: string };

export type HistorySource = { readonly ask: (q: HistoryQuery) => Promise<HistoryAnswer>; readonly close: () => void; readonly where: string };

/** Reads `path` directly (read-only: the daemon may be writing it; WAL lets both go on). */
export function fileSource(path: string): HistorySource {
  let queries: HistoryQueries | null = null;
  let failure: string | null = null;
  const open = (): HistoryQueries | null => {
    if (queries) return queries;
    try { queries = new HistoryQueries(openHistory(path, { readonly: true })); failure = null; } catch (err) {
      failure = err instanceof HistoryError ? err.message : describe(err, path);
    }
    return queries;
  };
  return {
    where: path,
    ask: async (q) => {
      const qs = open();
      if (!qs) return { ok: false, reason: failure ?? `cannot open ${path}` };
      if (q.kind === 'info') return { ok: true, result: { path, error: null, schema: SCHEMA_VERSION, pending: 0 }, historyError: null };
      try { return { ok: true, result: runQuery(qs, q, hostname()), historyError: null }; } catch (err) {
        return { ok: false, reason: describe(err, path) };
      }
    },
    close: () => { queries?.db.close(); queries = null; },
  };
}
