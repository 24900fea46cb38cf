// The analytics of `nix-btm stats` and the History view's pane: aggregate scans, run in the history worker.
import type { Db } from './schema.js';
import { clampInt } from './queries.js';

export type StatsQuery = { readonly since?: number; readonly limit?: number; readonly days?: number };

export type Stats = {
  readonly since: number | null;
  /** Longest builds by name: mean and longest duration. */
  readonly slowest: readonly { name: string; builds: number; meanMs: number; maxMs: number }[];
  /** Names built from more than one .drv: a sign of inputs that are not reproducible. */
  readonly rebuilt: readonly { name: string; drvs: number; builds: number }[];
  readonly failureRate: readonly { pname: string; builds: number; failed: number; rate: number }[];
  /** Summed build time per UTC day, oldest first. */
  readonly perDay: readonly { day: string; builds: number; buildMs: number }[];
  readonly cache: { readonly substituted: number; readonly built: number; readonly share: number | null };
};

export function stats(db: Db, q: StatsQuery = {}, now = Date.now()): Stats {
  const limit = clampInt(q.limit, 1, 1000, 10);
  const days = clampInt(q.days, 1, 3650, 30);
  const since = q.since ?? null;
  const from = since ?? 0;
  const slowest = db.prepare(`SELECT n.name, COUNT(*) AS builds, CAST(AVG(d.duration_ms) AS INTEGER) AS meanMs, MAX(d.duration_ms) AS maxMs
    FROM derivations d JOIN names n ON n.id = d.name_id
    WHERE d.status = 'built' AND d.substituted = 0 AND d.duration_ms IS NOT NULL AND d.stopped_at >= ?
    GROUP BY d.name_id ORDER BY meanMs DESC LIMIT ?`).all(from, limit) as Stats['slowest'][number][];
  const rebuilt = db.prepare(`SELECT n.name, COUNT(DISTINCT d.hash) AS drvs, COUNT(*) AS builds
    FROM derivations d JOIN names n ON n.id = d.name_id
    WHERE d.substituted = 0 AND d.started_at IS NOT NULL AND d.stopped_at >= ?
    GROUP BY d.name_id HAVING drvs > 1 ORDER BY drvs DESC, builds DESC LIMIT ?`).all(from, limit) as Stats['rebuilt'][number][];
  const failureRate = db.prepare(`SELECT p.pname, COUNT(*) AS builds, SUM(d.status = 'failed') AS failed,
    CAST(SUM(d.status = 'failed') AS REAL) / COUNT(*) AS rate
    FROM derivations d JOIN pnames p ON p.id = d.pname_id
    WHERE d.substituted = 0 AND d.status IN ('built', 'failed') AND d.stopped_at >= ?
    GROUP BY d.pname_id HAVING failed > 0 ORDER BY rate DESC, failed DESC LIMIT ?`).all(from, limit) as Stats['failureRate'][number][];
  const dayFrom = Math.max(from, now - days * 86_400_000);
  const perDay = db.prepare(`SELECT date(d.stopped_at / 1000, 'unixepoch') AS day, COUNT(*) AS builds, SUM(d.duration_ms) AS buildMs
    FROM derivations d INDEXED BY drvs_stopped
    WHERE d.stopped_at >= ? AND d.status = 'built' AND d.substituted = 0 GROUP BY day ORDER BY day`).all(dayFrom) as Stats['perDay'][number][];
  const c = db.prepare(`SELECT SUM(substituted = 1) AS substituted, SUM(substituted = 0) AS built FROM derivations
    WHERE status = 'built' AND stopped_at >= ?`).get(from) as { substituted: number | null; built: number | null };
  const substituted = c.substituted ?? 0, built = c.built ?? 0;
  return { since, slowest, rebuilt, failureRate, perDay,
    cache: { substituted, built, share: substituted + built > 0 ? substituted / (substituted + built) : null } };
}
