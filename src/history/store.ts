// Writes batches of rows into the history database: one transaction per batch, names and hosts interned once.
import type { Statement } from 'better-sqlite3';
import { parseDrvName, splitStorePath } from './drv-name.js';
import type { Batch, DrvRow, JobRow } from './rows.js';
import type { Db } from './schema.js';

type Interner = (value: string) => number;

function interner(db: Db, table: string, column: string): Interner {
  const cache = new Map<string, number>();
  const find = db.prepare(`SELECT id FROM ${table} WHERE ${column} = ?`).pluck();
  const add = db.prepare(`INSERT INTO ${table} (${column}) VALUES (?)`);
  return (value) => {
    let id = cache.get(value);
    if (id !== undefined) return id;
    id = (find.get(value) as number | undefined) ?? Number(add.run(value).lastInsertRowid);
    if (cache.size > 100_000) cache.clear();
    cache.set(value, id);
    return id;
  };
}

export class HistoryStore {
  readonly host: Interner;
  readonly store: Interner;
  readonly pname: Interner;
  private readonly names = new Map<string, { id: number; pnameId: number }>();
  private readonly jobIds = new Map<string, number>();
  private readonly upsertJob: Statement;
  private readonly jobId: Statement;
  private readonly upsertDrv: Statement;
  private readonly findName: Statement;
  private readonly addName: Statement;
  readonly writeBatch: (batch: Batch) => void;

  constructor(readonly db: Db) {
    this.host = interner(db, 'hosts', 'name');
    this.store = interner(db, 'stores', 'dir');
    this.pname = interner(db, 'pnames', 'pname');
    this.findName = db.prepare('SELECT id, pname_id AS pnameId FROM names WHERE name = ?');
    this.addName = db.prepare('INSERT INTO names (name, pname_id, version) VALUES (?, ?, ?)');
    this.upsertJob = db.prepare(`INSERT INTO jobs (key, via, command, user, uid, pid, host_id, relay, status, exit_code,
      started_at, stopped_at, built, failed, cancelled, substituted, planned, errors)
      VALUES (@key, @via, @command, @user, @uid, @pid, @hostId, @relay, @status, @exitCode, @startedAt, @stoppedAt,
      @built, @failed, @cancelled, @substituted, @planned, @errors)
      ON CONFLICT (key) DO UPDATE SET status = excluded.status, exit_code = excluded.exit_code,
      stopped_at = excluded.stopped_at, built = excluded.built, failed = excluded.failed, cancelled = excluded.cancelled,
      substituted = excluded.substituted, planned = excluded.planned, errors = excluded.errors, command = excluded.command,
      user = excluded.user, uid = excluded.uid, pid = excluded.pid`);
    this.jobId = db.prepare('SELECT id FROM jobs WHERE key = ?').pluck();
    this.upsertDrv = db.prepare(`INSERT INTO derivations (job_id, store_id, hash, name_id, pname_id, substituted, host_id,
      status, reason, exit_code, started_at, stopped_at, duration_ms, phases, peak_procs, cpu_ms, peak_rss, output_bytes)
      VALUES (@jobId, @storeId, @hash, @nameId, @pnameId, @substituted, @hostId, @status, @reason, @exitCode, @startedAt,
      @stoppedAt, @durationMs, @phases, @peakProcs, @cpuMs, @peakRss, @outputBytes)
      ON CONFLICT (job_id, hash) DO UPDATE SET status = excluded.status, reason = excluded.reason,
      exit_code = excluded.exit_code, started_at = excluded.started_at, stopped_at = excluded.stopped_at,
      duration_ms = excluded.duration_ms, phases = excluded.phases, peak_procs = excluded.peak_procs,
      cpu_ms = excluded.cpu_ms, peak_rss = excluded.peak_rss, host_id = excluded.host_id,
      output_bytes = COALESCE(excluded.output_bytes, output_bytes)`);
    this.writeBatch = db.transaction((batch: Batch) => {
      for (const j of batch.jobs) this.writeJob(j);
      for (const d of batch.drvs) this.writeDrv(d);
    });
  }

  nameOf(name: string): { id: number; pnameId: number } {
    let hit = this.names.get(name);
    if (hit) return hit;
    hit = this.findName.get(name) as { id: number; pnameId: number } | undefined;
    if (!hit) {
      const parsed = parseDrvName(name);
      const pnameId = this.pname(parsed.pname);
      hit = { id: Number(this.addName.run(name, pnameId, parsed.version).lastInsertRowid), pnameId };
    }
    if (this.names.size > 100_000) this.names.clear();
    this.names.set(name, hit);
    return hit;
  }

  /**
   * Jobs that a daemon now gone left running (stopped or killed mid-build) would never be updated again: they end as
   * interrupted. `ours`: this daemon's key (`<start ms>.<pid>`, the prefix of its job keys); `alive(pid)`: whether
   * the daemon of another key may still be running (then its rows are its own). Returns the jobs ended.
   */
  endOrphans(ours: string, alive: (pid: number) => boolean): number {
    const keys = this.db.prepare(`SELECT DISTINCT substr(key, 1, instr(key, ':') - 1) FROM jobs WHERE status = 'running'`)
      .pluck().all() as string[];
    const end = this.db.prepare(`UPDATE jobs SET status = 'interrupted' WHERE status = 'running' AND substr(key, 1, ?) = ?`);
    let n = 0;
    for (const k of keys) {
      const daemon = /^\d+\.(\d+)$/.exec(k);
      if (daemon === null || k === ours || alive(Number(daemon[1]))) continue;
      n += end.run(k.length + 1, `${k}:`).changes;
    }
    // A `nix-btm run`'s row (`run:<uid>:<nix pid>:<start>`, recorder.ts) is any daemon's: it ends once its Nix is gone
    // (a run still going replays its build to this daemon, which then records its end).
    const runs = this.db.prepare(`SELECT key FROM jobs WHERE status = 'running' AND substr(key, 1, 4) = 'run:'`).pluck().all() as string[];
    const endOne = this.db.prepare(`UPDATE jobs SET status = 'interrupted' WHERE key = ? AND status = 'running'`);
    for (const k of runs) {
      const run = /^run:\d+:(\d+):/.exec(k);
      if (run !== null && !alive(Number(run[1]))) n += endOne.run(k).changes;
    }
    return n;
  }

  writeJob(j: JobRow): number {
    this.upsertJob.run({ ...j, relay: j.relay ? 1 : 0, hostId: this.host(j.host) });
    return this.jobIdOf(j.key)!;
  }

  jobIdOf(key: string): number | undefined {
    let id = this.jobIds.get(key);
    if (id !== undefined) return id;
    id = this.jobId.get(key) as number | undefined;
    if (id === undefined) return undefined;
    if (this.jobIds.size > 10_000) this.jobIds.clear();
    this.jobIds.set(key, id);
    return id;
  }

  writeDrv(d: DrvRow): void {
    const jobId = this.jobIdOf(d.jobKey);
    if (jobId === undefined) return;
    const split = splitStorePath(d.path);
    const name = this.nameOf(d.name);
    this.upsertDrv.run({
      jobId, storeId: this.store(split?.storeDir ?? ''), hash: split?.hash ?? d.path, nameId: name.id, pnameId: name.pnameId,
      substituted: d.substituted ? 1 : 0, hostId: this.host(d.host), status: d.status, reason: d.reason, exitCode: d.exitCode,
      startedAt: d.startedAt, stoppedAt: d.stoppedAt, durationMs: d.durationMs,
      phases: d.phases ? d.phases.map(([p, ms]) => `${p}=${Math.round(ms)}`).join(' ') : null,
      peakProcs: d.peakProcs, cpuMs: d.cpuMs === null ? null : Math.round(d.cpuMs), peakRss: d.peakRss, outputBytes: d.outputBytes,
    });
  }
}

/** "buildPhase=1200 installPhase=30" -> pairs. */
export function parsePhases(text: string | null): [string, number][] {
  if (!text) return [];
  return text.split(' ').filter((p) => p.includes('=')).map((p) => {
    const at = p.lastIndexOf('=');
    return [p.slice(0, at), Number(p.slice(at + 1))];
  });
}
