// Helpers for e2e tests of `nix-btm daemon`: a daemon per test in a fresh runtime dir, `status --json` as a parsed
// document, `nix-btm run` as a child, and raw json-log-path writers. Everything started here is stopped by stopAll().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hello } from '../../src/client/daemon-client.js';
import { pathsIn, type RuntimePaths } from '../../src/protocol/paths.js';
import { statusDocument } from '../../src/commands/status.js';
import { root } from '../helpers.js';

export const BIN = join(root, 'bin', 'nix-btm');
export const GRAPH = join(root, 'tests/fixtures/captures/nix/graph.nix');
export const CAPTURES = join(root, 'tests/fixtures/captures');

export type DerivationDoc = {
  drvPath: string; name: string; status: string; exitCode: number | null; reason: string | null; confirmed: boolean;
  jobs: string[]; phase: string | null; durationMs: number | null; logTail: string[];
};
export type JobDoc = { source: string; via: string; pid: number | null; uid: number | null; user: string | null; status: string; exitCode: number | null; plan: string[];
  openedAt: number | null; closedAt: number | null };
export type ProcessDoc = { pid: number; ppid: number; user: string; uid: number; role: string; state: string; drvPath: string | null; startedAt: number; command: string };
export type SourceDoc = { source: string; via: string; pid: number | null; uid: number | null; user: string | null; command: string; status: string };
/** What `nix-btm status --json` prints. */
export type StatusDoc = {
  derivations: DerivationDoc[]; errors: { text: string }[]; warnings: unknown[]; jobs: JobDoc[]; transfers: unknown[];
  decodeErrors: number; processes: ProcessDoc[]; sources: SourceDoc[]; daemon: { pid: number; startedAt: number }; seq: number;
};

export type Exit = { readonly code: number | null; readonly signal: NodeJS.Signals | null };

export type Daemon = {
  readonly dir: string;
  readonly paths: RuntimePaths;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  /** Its stderr so far (started with --log-stderr). */
  readonly stderr: () => string;
  /** SIGTERM (or `signal`) and wait for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
};

export type DaemonOptions = {
  /** Reuse this runtime dir (a restart); default: a fresh mkdtemp dir, removed by stopAll(). */
  readonly dir?: string;
  readonly group?: string;
  readonly ringMiB?: number;
  readonly refreshMs?: number;
  /** --store-dir flags; default /nix/store and, where Nix 2.30.5 is installed, its store. */
  readonly storeDirs?: readonly string[];
  /** More daemon flags. Without --history/--no-history the history goes to history.sqlite in the runtime dir. */
  readonly extra?: readonly string[];
};

const daemons = new Set<Daemon>();
const children = new Set<ChildProcess>();
const dirs = new Set<string>();

export function freshDir(prefix = 'nix-btm-daemon-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Starts `nix-btm daemon` and waits until its control socket answers a hello. */
const NIX_NEW_STORE = '/nix-new/store';

export async function startDaemon(options: DaemonOptions = {}): Promise<Daemon> {
  const dir = options.dir ?? freshDir();
  // Another user (the test user) must be able to reach a --group daemon's sockets: 0755, never group-writable.
  if (options.group !== undefined) chmodSync(dir, 0o755);
  const args = [BIN, 'daemon', '--runtime-dir', dir, '--refresh', String(options.refreshMs ?? 250), '--log-stderr',
    ...(options.group !== undefined ? ['--group', options.group] : []),
    ...(options.ringMiB !== undefined ? ['--ring-mib', String(options.ringMiB)] : []),
    // Nix 2.30.5 here has its own store: the daemon reads .drv files only from the store dirs it is given.
    ...(options.storeDirs ?? (existsSync(NIX_NEW_STORE) ? ['/nix/store', NIX_NEW_STORE] : [])).flatMap((d) => ['--store-dir', d]),
    // Each test's own history (removed with its dir): never the machine's /var/lib/nix-btm.
    ...(options.extra?.some((a) => a === '--history' || a === '--no-history') ? [] : ['--history', join(dir, 'history.sqlite'), '--no-import-nom']),
    ...(options.extra ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const exited = exitOf(child);
  const daemon: Daemon = {
    dir, paths: pathsIn(dir), child, pid: child.pid ?? -1, exited, stderr: () => stderr,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const exit = await exited;
      daemons.delete(daemon);
      return exit;
    },
  };
  daemons.add(daemon);
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nix-btm daemon exited at start: ${stderr}`);
    try {
      const h = await hello(daemon.paths.control, 2000);
      if (h.daemon.pid === daemon.pid) return daemon;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`nix-btm daemon did not answer on ${daemon.paths.control} in 20 s: ${stderr}`);
    await sleep(50);
  }
}

/** Rejects if `promise` has not settled in `ms` (a hang guard, never a performance threshold). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export type CliResult = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Runs `nix-btm ARGS` to the end. */
export function nixBtm(args: readonly string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export type StatusOptions = {
  /**
   * Keep the jobs the daemon made from builders no log reported (via "local") and their derivations. Off by
   * default: the daemon is global, so other builds running on the machine (other users, other test runs) show
   * up there, and a test about its own streams must not count them.
   */
  readonly local?: boolean;
};

/** Without the "local" jobs and the derivations only they asked for (see StatusOptions). */
export function withoutLocal(doc: StatusDoc): StatusDoc {
  const local = new Set(doc.jobs.filter((j) => j.via === 'local').map((j) => j.source));
  if (local.size === 0) return doc;
  return { ...doc, jobs: doc.jobs.filter((j) => !local.has(j.source)), sources: doc.sources.filter((x) => !local.has(x.source)),
    derivations: doc.derivations.filter((d) => d.jobs.length === 0 || d.jobs.some((j) => !local.has(j))) };
}

/** `nix-btm status --json --runtime-dir DIR`, parsed; throws with its stderr when it fails. */
export function status(dir: string, options: StatusOptions = {}): StatusDoc {
  const r = nixBtm(['status', '--json', '--runtime-dir', dir]);
  if (r.code !== 0) throw new Error(`nix-btm status exited ${r.code}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as StatusDoc;
  return options.local === true ? doc : withoutLocal(doc);
}

/** The same document, built in this process from a hello (for tight polling; status.ts builds both). */
export async function statusNow(dir: string, options: StatusOptions = {}): Promise<StatusDoc> {
  const doc = statusDocument(await hello(pathsIn(dir).control), 5) as StatusDoc;
  return options.local === true ? doc : withoutLocal(doc);
}

/**
 * Polls until `predicate` holds; returns the document that satisfied it. `fast` polls in-process every 50 ms,
 * otherwise through the CLI. Rejects after timeoutMs with the last document's derivations.
 */
export async function waitForStatus(dir: string, predicate: (s: StatusDoc) => boolean, timeoutMs: number,
  what = 'a status', fast = false, options: StatusOptions = {}): Promise<StatusDoc> {
  const deadline = Date.now() + timeoutMs;
  let last: StatusDoc | null = null;
  for (;;) {
    last = fast ? await statusNow(dir, options) : status(dir, options);
    if (predicate(last)) return last;
    if (Date.now() > deadline) {
      const summary = last.derivations.map((d) => `${d.name}:${d.status}`).join(' ');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${summary}; jobs ${JSON.stringify(last.jobs.map((j) => j.status))}`);
    }
    await sleep(fast ? 50 : 100);
  }
}

export const byName = (s: StatusDoc): Record<string, string> =>
  Object.fromEntries(s.derivations.map((d) => [d.name.replace(/-[0-9][0-9.]*$/, ''), d.status]));

export type RunChild = { readonly child: ChildProcess; readonly done: Promise<CliResult> };

/** `nix-btm run --runtime-dir DIR -- CMD...` (NIX_REMOTE=daemon), optionally as another user through setpriv. */
export function startRun(dir: string, command: readonly string[], options: { user?: string; extra?: readonly string[] } = {}): RunChild {
  const env: NodeJS.ProcessEnv = { ...process.env, NIX_REMOTE: 'daemon' };
  const argv = [process.execPath, BIN, 'run', '--runtime-dir', dir, ...(options.extra ?? []), '--', ...command];
  const user = options.user;
  const full = user === undefined ? argv
    : ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', 'env', `HOME=/home/${user}`, `USER=${user}`, ...argv];
  // Its own process group, so cleanup also reaches the nix-build it started.
  const child = spawn(full[0]!, full.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => { children.delete(child); resolve({ code, signal, stdout, stderr }); });
  });
  return { child, done };
}

export const graphBuild = (args: Record<string, string>, extra: readonly string[] = []): string[] =>
  ['nix-build', GRAPH, ...Object.entries(args).flatMap(([k, v]) => ['--argstr', k, v]), '--no-out-link', ...extra];

/** A capture's records as Nix >= 2.30 writes them to json-log-path: one JSON object a line, no `@nix ` prefix. */
export function jsonLogLines(capture: string): string[] {
  return readFileSync(join(CAPTURES, `${capture}.jsonl`), 'utf8').split('\n')
    .filter((l) => l.startsWith('@nix {')).map((l) => l.slice(5));
}

export type Truth = {
  exitCode: number; failingDrv: string | null; signal?: string; plannedDrvs: string[];
  drvs: Record<string, { name: string; outputsValid: boolean }>;
};
export const truthOf = (capture: string): Truth =>
  JSON.parse(readFileSync(join(CAPTURES, `${capture}.truth.json`), 'utf8')) as Truth;

/** A json-log-path client: connects to nix-log.sock like Nix would. */
export function logClient(dir: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(pathsIn(dir).nixLog);
    s.once('connect', () => { s.off('error', reject); s.on('error', () => undefined); resolve(s); });
    s.once('error', reject);
  });
}

export const write = (s: Socket, data: string | Buffer): Promise<void> =>
  new Promise((resolve, reject) => s.write(data, (err) => (err ? reject(err) : resolve())));

export const closeSocket = (s: Socket): Promise<void> =>
  new Promise((resolve) => { s.once('close', () => resolve()); s.end(); });

/** Whether a pid is a live (non-zombie) process. */
export function alive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Stops every daemon and child these helpers started, removes their dirs. For afterEach/afterAll. */
export async function stopAll(): Promise<void> {
  for (const c of children) {
    try { if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  children.clear();
  await Promise.all([...daemons].map(async (d) => {
    const timer = setTimeout(() => d.child.kill('SIGKILL'), 10_000);
    await d.stop('SIGTERM');
    clearTimeout(timer);
  }));
  for (const dir of dirs) if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}
