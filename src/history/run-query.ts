// Answers one history query from an open database: the worker and `--history PATH` readers share it.
import { stats } from './analytics.js';
import type { HistoryQuery } from './protocol.js';
import type { HistoryQueries } from './queries.js';

export function runQuery(queries: HistoryQueries, q: Exclude<HistoryQuery, { kind: 'info' }>, localHost: string): unknown {
  switch (q.kind) {
    case 'jobs': return queries.jobs(q);
    case 'job': {
      const job = queries.job(q.id);
      // With each derivation its last 30 durations (any job): the History view's sparkline needs no second request.
      return job ? { job, derivations: queries.derivations(q.id).map((d, i) => (i < 2000 ? { ...d, past: queries.series(d.name, 30).map((p) => p.ms) } : d)) } : null;
    }
    case 'eta': return queries.eta(q.names, q.host ?? localHost);
    case 'stats': return stats(queries.db, q);
    case 'series': return queries.series(q.name, q.limit);
  }
}
