// Where the daemon keeps its files, chosen so that another user cannot squat them (no predictable name in /tmp).
import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type RuntimePaths = {
  readonly dir: string;
  /** Control socket: hello/snapshot, signal requests, `nix-btm run`/`feed` streams. */
  readonly control: string;
  /** The socket to name in nix.conf's json-log-path. */
  readonly nixLog: string;
  /** Base name of the event ring; each daemon start creates `events.<pid>.ring`. */
  readonly ringPrefix: string;
  readonly pidFile: string;
  readonly logFile: string;
};

export const SYSTEM_RUNTIME_DIR = '/run/nix-btm';

export function pathsIn(dir: string): RuntimePaths {
  return {
    dir, control: join(dir, 'control.sock'), nixLog: join(dir, 'nix-log.sock'), ringPrefix: join(dir, 'events'),
    pidFile: join(dir, 'daemon.pid'), logFile: join(dir, 'daemon.log'),
  };
}

/**
 * $NIX_BTM_RUNTIME_DIR, else /run/nix-btm for root, else $XDG_RUNTIME_DIR/nix-btm, else ~/.cache/nix-btm:
 * never a predictable name in /tmp that another user could create first.
 */
export function defaultRuntimeDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (env.NIX_BTM_RUNTIME_DIR) return env.NIX_BTM_RUNTIME_DIR;
  if (uid === 0) return SYSTEM_RUNTIME_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'nix-btm');
  return join(env.HOME ?? homedir(), '.cache', 'nix-btm');
}

/**
 * Creates the runtime dir (0755 for the system daemon, whose sockets carry their own permissions; 0700 otherwise)
 * and refuses one that another user owns or could write to.
 */
export function ensureRuntimeDir(dir: string, shared: boolean): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: shared ? 0o755 : 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  if (!st.isDirectory()) throw new Error(`runtime dir ${dir} is not a directory`);
  if (st.uid !== uid) throw new Error(`runtime dir ${dir} belongs to uid ${st.uid}, not to this user (${uid}): refusing it`);
  if ((st.mode & 0o022) !== 0) throw new Error(`runtime dir ${dir} is writable by group or others (mode ${(st.mode & 0o777).toString(8)}): refusing it`);
}
