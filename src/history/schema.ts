// The history database: one SQLite file in WAL mode (the daemon writes, readers never block it), versioned
// migrations in PRAGMA user_version, and a clear refusal of a file written by a newer nix-btm.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/** Each migration takes the schema from version i to i + 1; never edit one that shipped, add the next. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE hosts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
   CREATE TABLE stores (id INTEGER PRIMARY KEY, dir TEXT NOT NULL UNIQUE);
   CREATE TABLE pnames (id INTEGER PRIMARY KEY, pname TEXT NOT NULL UNIQUE);
   CREATE TABLE names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, pname_id INTEGER NOT NULL, version TEXT NOT NULL);
   CREATE TABLE jobs (
     id INTEGER PRIMARY KEY,
     key TEXT NOT NULL UNIQUE,            -- daemon start + source id: source ids repeat across daemon restarts
     via TEXT NOT NULL, command TEXT NOT NULL, user TEXT, uid INTEGER, pid INTEGER, host_id INTEGER NOT NULL,
     relay INTEGER NOT NULL DEFAULT 0,    -- a nix-daemon worker relaying its client's build
     status TEXT NOT NULL, exit_code INTEGER, started_at INTEGER, stopped_at INTEGER,
     built INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, cancelled INTEGER NOT NULL DEFAULT 0,
     substituted INTEGER NOT NULL DEFAULT 0, planned INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0);
   CREATE INDEX jobs_started ON jobs (started_at);
   CREATE TABLE derivations (
     id INTEGER PRIMARY KEY,
     job_id INTEGER NOT NULL,
     store_id INTEGER NOT NULL, hash TEXT NOT NULL,   -- the .drv (a build) or the output path (a substitution)
     name_id INTEGER NOT NULL, pname_id INTEGER NOT NULL,
     substituted INTEGER NOT NULL DEFAULT 0,
     host_id INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT, exit_code INTEGER,
     started_at INTEGER, stopped_at INTEGER, duration_ms INTEGER,
     phases TEXT,                                      -- "name=ms name=ms", in order
     peak_procs INTEGER, cpu_ms INTEGER, peak_rss INTEGER, output_bytes INTEGER,
     UNIQUE (job_id, hash));
   -- UNIQUE (job_id, hash) already indexes job_id first: no separate job index
   CREATE INDEX drvs_name ON derivations (name_id, host_id, stopped_at) WHERE status = 'built' AND substituted = 0;
   CREATE INDEX drvs_pname ON derivations (pname_id, host_id, stopped_at) WHERE status = 'built' AND substituted = 0;
   CREATE INDEX drvs_stopped ON derivations (stopped_at);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class HistoryError extends Error {}

export type OpenOptions = { readonly readonly?: boolean; readonly busyMs?: number };

/** Opens (creating and migrating unless read-only) the database; throws HistoryError with a sentence a user can act on. */
export function openHistory(path: string, opts: OpenOptions = {}): Db {
  let db: Db;
  try {
    // 0700: the history names every user's builds; readers go through the daemon's control socket.
    if (!opts.readonly) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (err) {
    throw new HistoryError(`cannot open the history database ${path}: ${(err as Error).message}`);
  }
  try {
    db.pragma(`busy_timeout = ${opts.busyMs ?? 2000}`);
    if (!opts.readonly) prepareWriter(db, path);
    else checkVersion(db, path, Number(db.pragma('user_version', { simple: true })));
    return db;
  } catch (err) {
    db.close();
    if (err instanceof HistoryError) throw err;
    throw new HistoryError(describe(err, path));
  }
}

function prepareWriter(db: Db, path: string): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  checkVersion(db, path, version);
  // Must precede the first table: lets pruning hand pages back to the file system without a blocking VACUUM.
  if (version === 0) db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = OFF');
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => { db.exec(MIGRATIONS[v]!); db.pragma(`user_version = ${v + 1}`); })();
  }
}

function checkVersion(_db: Db, path: string, version: number): void {
  if (version > SCHEMA_VERSION) {
    throw new HistoryError(`the history database ${path} has schema version ${version}, newer than this nix-btm knows (${SCHEMA_VERSION}): upgrade nix-btm, or use another file (--history PATH)`);
  }
}

/** SQLite's error codes, in words someone can act on. */
export function describe(err: unknown, path: string): string {
  const code = (err as { code?: string }).code ?? '';
  const msg = (err as Error).message ?? String(err);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) return `the history database ${path} is corrupt (${msg}): move it away and nix-btm starts a new one`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return `the history database ${path} is locked by another process (${msg}): history is kept in memory and written when it is free`;
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) return `cannot write the history database ${path} (${msg})`;
  if (code === 'SQLITE_FULL') return `the disk holding ${path} is full: history is not written`;
  return `history database ${path}: ${msg}`;
}
