// History requests, as a client sends them over the control socket and the daemon hands them to its worker.
// Everything a peer sends is checked here: unknown kinds, wrong types and oversized lists are refused.
import type { StatsQuery } from './analytics.js';
import { JOB_SORTS, type JobSort, type JobsQuery } from './queries.js';

export type HistoryQuery =
  | ({ readonly kind: 'jobs' } & JobsQuery)
  /** One job and its derivations. */
  | { readonly kind: 'job'; readonly id: number }
  | { readonly kind: 'eta'; readonly names: readonly string[]; readonly host?: string }
  | ({ readonly kind: 'stats' } & StatsQuery)
  | { readonly kind: 'series'; readonly name: string; readonly limit?: number }
  /** Where the database is and whether it works. */
  | { readonly kind: 'info' };

export type HistoryInfo = { readonly path: string | null; readonly error: string | null; readonly schema: number; readonly pending: number };

const str = (v: unknown, max = 4096): string | undefined => (typeof v === 'string' && v.length <= max ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function parseQuery(raw: unknown): HistoryQuery | string {
  if (typeof raw !== 'object' || raw === null) return 'a history query must be an object';
  const q = raw as Record<string, unknown>;
  switch (q.kind) {
    case 'jobs': {
      const sort = typeof q.sort === 'string' && (JOB_SORTS as readonly string[]).includes(q.sort) ? (q.sort as JobSort) : undefined;
      return defined({ kind: 'jobs' as const, limit: num(q.limit), offset: num(q.offset), user: str(q.user, 256), status: str(q.status, 32),
        name: str(q.name, 256), since: num(q.since), until: num(q.until), sort, desc: typeof q.desc === 'boolean' ? q.desc : undefined,
        relays: q.relays === true ? true : undefined });
    }
    case 'job': return num(q.id) === undefined ? 'job needs a numeric id' : { kind: 'job', id: num(q.id)! };
    case 'eta': {
      if (!Array.isArray(q.names) || q.names.length > 2000 || !q.names.every((n) => typeof n === 'string' && n.length <= 512)) {
        return 'eta needs names: at most 2000 strings';
      }
      return defined({ kind: 'eta' as const, names: q.names as string[], host: str(q.host, 256) });
    }
    case 'stats': return defined({ kind: 'stats' as const, since: num(q.since), limit: num(q.limit), days: num(q.days) });
    case 'series': return str(q.name, 512) === undefined ? 'series needs a name' : defined({ kind: 'series' as const, name: q.name as string, limit: num(q.limit) });
    case 'info': return { kind: 'info' };
    default: return `unknown history query ${JSON.stringify(q.kind ?? null)}`;
  }
}
