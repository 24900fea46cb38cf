// A big history database for the query benchmarks: 1,000,000 derivations in 20,000 jobs over three hosts, written
// straight with prepared statements in large transactions (seconds, not minutes), with the real schema and indexes.
import { openHistory, type Db } from '../src/history/schema.js';
import { HistoryStore } from '../src/history/store.js';

export type BigDb = { readonly db: Db; readonly names: readonly string[]; readonly hosts: readonly string[]; readonly ms: number };

/** xorshift: the same database every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
}

export function bigHistory(path: string, derivations = 1_000_000, perJob = 50): BigDb {
  const t0 = performance.now();
  const db = openHistory(path);
  db.pragma('synchronous = OFF');
  const store = new HistoryStore(db);
  // Indexes built once at the end are much cheaper than kept up to date row by row: keep their definitions.
  const indexes = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'derivations' AND sql IS NOT NULL").pluck().all() as string[];
  for (const sql of indexes) db.exec(`DROP INDEX ${/INDEX (\w+)/.exec(sql)![1]}`);
  const rand = rng(12345);
  const hosts = ['builder-a', 'builder-b', 'laptop'];
  const hostIds = hosts.map((h) => store.host(h));
  const storeId = store.store('/nix/store');
  const names: string[] = [];
  for (let i = 0; i < 5000; i++) names.push(`pkg${i % 2000}-${1 + Math.floor(i / 2000)}.${i % 7}`);
  const nameIds = names.map((n) => store.nameOf(n));
  const job = db.prepare(`INSERT INTO jobs (key, via, command, user, uid, pid, host_id, relay, status, exit_code, started_at, stopped_at,
    built, failed, cancelled, substituted, planned, errors) VALUES (?, 'socket', ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, 0, ?, ?, 0)`);
  const drv = db.prepare(`INSERT INTO derivations (job_id, store_id, hash, name_id, pname_id, substituted, host_id, status, reason,
    exit_code, started_at, stopped_at, duration_ms, phases, peak_procs, cpu_ms, peak_rss, output_bytes)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const start = Date.now() - 80 * 86_400_000;
  const jobs = Math.ceil(derivations / perJob);
  const hash = (): string => { let s = ''; for (let i = 0; i < 32; i++) s += '0123456789abcdfghijklmnpqrsvwxyz'[Math.floor(rand() * 32)]; return s; };
  const write = db.transaction((from: number, to: number) => {
    for (let j = from; j < to; j++) {
      const at = start + Math.floor((j / jobs) * 80 * 86_400_000);
      const h = Math.floor(rand() * 3);
      const jobId = Number(job.run(`bench:${j}`, `nix-build job-${j}.nix`, `user${j % 7}`, 1000 + (j % 7), 10_000 + j, hostIds[h], j % 23 === 0 ? 'failed' : 'succeeded',
        j % 23 === 0 ? 1 : 0, at, at + 600_000, perJob, j % 23 === 0 ? 1 : 0, 5, perJob).lastInsertRowid);
      for (let k = 0; k < perJob; k++) {
        const n = Math.floor(rand() * names.length);
        const sub = rand() < 0.3 ? 1 : 0;
        const ms = Math.floor(1000 + rand() * 120_000);
        const s = at + k * 10_000;
        drv.run(jobId, storeId, hash(), nameIds[n]!.id, nameIds[n]!.pnameId, sub, hostIds[h], j % 23 === 0 && k === 0 ? 'failed' : 'built',
          s, s + ms, ms, sub ? null : `unpackPhase=100 configurePhase=2000 buildPhase=${ms - 3000} installPhase=900`, sub ? null : 4, sub ? null : ms * 2,
          sub ? null : 200 * 2 ** 20, 5 * 2 ** 20);
      }
    }
  });
  for (let j = 0; j < jobs; j += 500) write(j, Math.min(jobs, j + 500));
  for (const sql of indexes) db.exec(sql);
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_checkpoint(TRUNCATE)');
  return { db, names, hosts, ms: performance.now() - t0 };
}
