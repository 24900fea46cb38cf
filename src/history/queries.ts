// Reads of the history database: the History view's pages, a job's derivations, ETAs, analytics. Every query a UI
// makes per frame (first page, ETA) walks an index; analytics scan, and run off the daemon's event loop (worker).
import type { Statement } from 'better-sqlite3';
import { estimateFrom, type Estimate } from './eta.js';
import { parseDrvName } from './drv-name.js';
import { parsePhases } from './store.js';
import type { Db } from './schema.js';

export const JOB_SORTS = ['started', 'user', 'command', 'status', 'duration', 'built', 'failed', 'substituted'] as const;
export type JobSort = (typeof JOB_SORTS)[number];

export type JobsQuery = {
  readonly limit?: number; readonly offset?: number; readonly user?: string; readonly status?: string;
  /** Matches the command line or any derivation name of the job. */
  readonly name?: string; readonly since?: number; readonly until?: number;
  readonly sort?: JobSort; readonly desc?: boolean;
  /** Include nix-daemon workers' relays of their clients' builds. */
  readonly relays?: boolean;
};

export type JobSummary = {
  readonly id: number; readonly startedAt: number | null; readonly stoppedAt: number | null; readonly durationMs: number | null;
  readonly user: string | null; readonly uid: number | null; readonly command: string; readonly via: string; readonly host: string;
  readonly status: string; readonly exitCode: number | null; readonly built: number; readonly failed: number;
  readonly cancelled: number; readonly substituted: number; readonly planned: number; readonly errors: number;
};

export type DrvSummary = {
  readonly path: string; readonly name: string; readonly pname: string; readonly version: string; readonly host: string;
  readonly substituted: boolean; readonly status: string; readonly reason: string | null; readonly exitCode: number | null;
  readonly startedAt: number | null; readonly stoppedAt: number | null; readonly durationMs: number | null;
  readonly phases: readonly [string, number][]; readonly peakProcs: number | null; readonly cpuMs: number | null;
  readonly peakRss: number | null; readonly outputBytes: number | null;
  /** Durations of this name's last builds, oldest first (a job's answer only). */
  readonly past?: readonly number[];
};

const SORT_SQL: Record<JobSort, string> = {
  started: 'j.started_at', user: 'j.user', command: 'j.command', status: 'j.status',
  duration: '(j.stopped_at - j.started_at)', built: 'j.built', failed: 'j.failed', substituted: 'j.substituted',
};

const JOB_COLUMNS = `j.id, j.started_at AS startedAt, j.stopped_at AS stoppedAt, (j.stopped_at - j.started_at) AS durationMs,
  j.user, j.uid, j.command, j.via, h.name AS host, j.status, j.exit_code AS exitCode, j.built, j.failed, j.cancelled,
  j.substituted, j.planned, j.errors`;

export class HistoryQueries {
  private readonly cache = new Map<string, Statement>();
  private readonly speeds = new Map<string, { at: number; map: Map<string, number> }>();

  constructor(readonly db: Db) {}

  private stmt(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) { s = this.db.prepare(sql); this.cache.set(sql, s); }
    return s;
  }

  jobs(q: JobsQuery = {}): JobSummary[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: clampInt(q.limit, 1, 10_000, 100), offset: clampInt(q.offset, 0, 1e9, 0) };
    if (!q.relays) where.push('j.relay = 0');
    if (q.user) { where.push('j.user = @user'); args.user = q.user; }
    if (q.status) { where.push('j.status = @status'); args.status = q.status; }
    if (q.since !== undefined) { where.push('j.started_at >= @since'); args.since = q.since; }
    if (q.until !== undefined) { where.push('j.started_at < @until'); args.until = q.until; }
    if (q.name) {
      where.push(`(j.command LIKE @name ESCAPE '\\' OR EXISTS (SELECT 1 FROM derivations d JOIN names n ON n.id = d.name_id
        WHERE d.job_id = j.id AND n.name LIKE @name ESCAPE '\\'))`);
      args.name = `%${q.name.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    }
    const sort = SORT_SQL[q.sort ?? 'started'] ?? SORT_SQL.started;
    const dir = (q.desc ?? true) ? 'DESC' : 'ASC';
    const sql = `SELECT ${JOB_COLUMNS} FROM jobs j JOIN hosts h ON h.id = j.host_id ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY ${sort} ${dir}, j.id ${dir} LIMIT @limit OFFSET @offset`;
    return this.stmt(sql).all(args) as JobSummary[];
  }

  job(id: number): JobSummary | null {
    return (this.stmt(`SELECT ${JOB_COLUMNS} FROM jobs j JOIN hosts h ON h.id = j.host_id WHERE j.id = ?`).get(id) as JobSummary | undefined) ?? null;
  }

  derivations(jobId: number): DrvSummary[] {
    const rows = this.stmt(`SELECT s.dir, d.hash, n.name, n.version, p.pname, h.name AS host, d.substituted, d.status, d.reason,
      d.exit_code AS exitCode, d.started_at AS startedAt, d.stopped_at AS stoppedAt, d.duration_ms AS durationMs, d.phases,
      d.peak_procs AS peakProcs, d.cpu_ms AS cpuMs, d.peak_rss AS peakRss, d.output_bytes AS outputBytes
      FROM derivations d JOIN names n ON n.id = d.name_id JOIN pnames p ON p.id = d.pname_id JOIN hosts h ON h.id = d.host_id
      JOIN stores s ON s.id = d.store_id WHERE d.job_id = ? ORDER BY d.started_at IS NULL, d.started_at, d.id`).all(jobId) as Record<string, unknown>[];
    return rows.map((r) => ({
      path: r.dir === '' ? String(r.hash) : `${String(r.dir)}/${String(r.hash)}-${String(r.name)}${r.substituted ? '' : '.drv'}`,
      name: String(r.name), pname: String(r.pname), version: String(r.version), host: String(r.host), substituted: r.substituted === 1,
      status: String(r.status), reason: r.reason as string | null, exitCode: r.exitCode as number | null,
      startedAt: r.startedAt as number | null, stoppedAt: r.stoppedAt as number | null, durationMs: r.durationMs as number | null,
      phases: parsePhases(r.phases as string | null), peakProcs: r.peakProcs as number | null, cpuMs: r.cpuMs as number | null,
      peakRss: r.peakRss as number | null, outputBytes: r.outputBytes as number | null,
    }));
  }

  /**
   * Past build durations of a name (or of a pname's every version), newest first, at most 10 per host: this host
   * alone when it has any (one index range), else every other host (few: the build machines).
   */
  private samples(column: 'name_id' | 'pname_id', id: number, host: string): Map<string, number[]> {
    const sql = `SELECT d.duration_ms FROM derivations d INDEXED BY ${column === 'name_id' ? 'drvs_name' : 'drvs_pname'}
      WHERE d.${column} = ? AND d.host_id = ? AND d.status = 'built' AND d.substituted = 0 AND d.duration_ms IS NOT NULL
      ORDER BY d.stopped_at DESC LIMIT 10`;
    const per = this.stmt(sql).pluck();
    const out = new Map<string, number[]>();
    const hosts = this.stmt('SELECT id, name FROM hosts').all() as { id: number; name: string }[];
    const local = hosts.find((h) => h.name === host);
    const here = local ? per.all(id, local.id) as number[] : [];
    if (here.length > 0) return out.set(host, here);
    for (const h of hosts) {
      if (h === local) continue;
      const values = per.all(id, h.id) as number[];
      if (values.length > 0) out.set(h.name, values);
    }
    return out;
  }

  /** The expected duration of each derivation name on `host`: same version first, then the pname's other versions. */
  eta(names: readonly string[], host: string): Record<string, Estimate | null> {
    const out: Record<string, Estimate | null> = {};
    const speed = this.hostSpeeds(host);
    const nameId = this.stmt('SELECT id FROM names WHERE name = ?').pluck();
    const pnameId = this.stmt('SELECT id FROM pnames WHERE pname = ?').pluck();
    for (const name of names.slice(0, 2000)) {
      const nid = nameId.get(name) as number | undefined;
      let e = nid === undefined ? null : estimateFrom(host, this.samples('name_id', nid, host), speed, 'same version');
      if (!e) {
        const pid = pnameId.get(parseDrvName(name).pname) as number | undefined;
        e = pid === undefined ? null : estimateFrom(host, this.samples('pname_id', pid, host), speed, 'other versions');
      }
      out[name] = e;
    }
    return out;
  }

  /**
   * How fast each host is against `local`: the median, over names built on both in the last 7 days, of local's mean
   * duration over the host's. A scan: the worker refreshes it in the background (refreshSpeeds); an ETA uses what
   * is there, and computes it only the first time.
   */
  hostSpeeds(local: string, now = Date.now()): Map<string, number> {
    return this.speeds.get(local)?.map ?? this.refreshSpeeds(local, now);
  }

  refreshSpeeds(local: string, now = Date.now()): Map<string, number> {
    const map = new Map<string, number>();
    const hosts = this.stmt('SELECT COUNT(*) FROM hosts').pluck().get() as number;
    if (hosts > 1) {
      const rows = this.stmt(`SELECT d.name_id AS n, d.host_id AS h, AVG(d.duration_ms) AS ms FROM derivations d INDEXED BY drvs_stopped
        WHERE d.stopped_at > ? AND d.status = 'built' AND d.substituted = 0 AND d.duration_ms > 0 GROUP BY d.name_id, d.host_id`).all(now - 7 * 86_400_000) as { n: number; h: number; ms: number }[];
      const names = new Map((this.stmt('SELECT id, name FROM hosts').all() as { id: number; name: string }[]).map((r) => [r.id, r.name]));
      const byName = new Map<number, Map<string, number>>();
      for (const r of rows) (byName.get(r.n) ?? byName.set(r.n, new Map()).get(r.n)!).set(names.get(r.h) ?? '', r.ms);
      const ratios = new Map<string, number[]>();
      for (const m of byName.values()) {
        const here = m.get(local);
        if (here === undefined) continue;
        for (const [h, ms] of m) if (h !== local) (ratios.get(h) ?? ratios.set(h, []).get(h)!).push(here / ms);
      }
      for (const [h, rs] of ratios) map.set(h, rs.sort((a, b) => a - b)[rs.length >> 1]!);
    }
    if (this.speeds.size > 64) this.speeds.clear();
    this.speeds.set(local, { at: now, map });
    return map;
  }

  /** A derivation name's (or pname's) build durations over time, oldest first: the sparkline's points. */
  series(name: string, limit = 60): { at: number; ms: number; host: string }[] {
    const rows = this.stmt(`SELECT d.stopped_at AS at, d.duration_ms AS ms, h.name AS host FROM derivations d JOIN names n ON n.id = d.name_id
      JOIN pnames p ON p.id = d.pname_id JOIN hosts h ON h.id = d.host_id
      WHERE (n.name = @name OR p.pname = @name) AND d.status = 'built' AND d.substituted = 0 AND d.duration_ms IS NOT NULL
      ORDER BY d.stopped_at DESC LIMIT @limit`).all({ name, limit: clampInt(limit, 1, 1000, 60) }) as { at: number; ms: number; host: string }[];
    return rows.reverse();
  }
}

export function clampInt(v: unknown, min: number, max: number, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.floor(v))) : dflt;
}
