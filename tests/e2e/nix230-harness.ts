// Real Nix 2.30.5 (/opt/nix-new, installed by ../shared/nix-new/install.sh): the only Nix here with json-log-path.
// The daemon is started as NixOS starts it (`nix-daemon --daemon`: each worker's argv names its client pid) with a
// nix.conf of the test's own (NIX_CONF_DIR) whose json-log-path names the nix-btm daemon under test. Its socket
// (/nix-new/var/nix/daemon-socket/socket) and store are shared with another helper's tests: everything that starts
// or stops it runs under `flock /tmp/nix-new.lock`, held here by a child `flock` for the whole test file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Build, BuildResult } from './nix-harness.js';

export const NIX_NEW = '/opt/nix-new';
export const NIX_NEW_BIN = `${NIX_NEW}/bin`;
export const NIX_NEW_STORE = '/nix-new/store';
export const NIX_NEW_SOCKET = '/nix-new/var/nix/daemon-socket/socket';
export const NIX_NEW_LOCK = '/tmp/nix-new.lock';
/** Unprivileged users of these tests (kept between runs; `btm-global-` is this area's prefix). */
export const USER_A = 'btm-global-a';
export const USER_B = 'btm-global-b';

const HINT = 'install Nix 2.30.5 with `sudo ../shared/nix-new/install.sh` (CI: .ci/run does it)';

/** Throws a clear error unless Nix 2.30.5 is installed. */
export function nixNewAvailable(): void {
  if (!existsSync(`${NIX_NEW_BIN}/nix-daemon`)) throw new Error(`${NIX_NEW_BIN}/nix-daemon is missing: ${HINT}`);
  const r = spawnSync(`${NIX_NEW_BIN}/nix`, ['--version'], { encoding: 'utf8', env: { ...process.env, NIX_CONFIG: 'json-log-path =' } });
  if (r.status !== 0 || !r.stdout.includes('2.30')) throw new Error(`${NIX_NEW_BIN}/nix --version: ${r.stdout}${r.stderr}: ${HINT}`);
}

export type Lock = { release(): Promise<void> };

/** Holds /tmp/nix-new.lock (a `flock` child that keeps it until released or until this process dies). */
export async function lockNixNew(timeoutMs = 280_000): Promise<Lock> {
  const child = spawn('flock', ['-w', String(Math.floor(timeoutMs / 1000)), NIX_NEW_LOCK, '-c', 'echo locked; exec cat >/dev/null'],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (c: string) => { if (c.includes('locked')) resolve(); });
    child.once('exit', (code) => reject(new Error(`flock ${NIX_NEW_LOCK} exited ${code}: ${err}`)));
  });
  return {
    release: () => new Promise((resolve) => {
      if (child.exitCode !== null) { resolve(); return; }
      child.once('exit', () => resolve());
      child.stdin.end();
    }),
  };
}

export type NixNewDaemon = {
  readonly pid: number;
  readonly confDir: string;
  /** The daemon's own stderr (accepted connections, errors). */
  readonly log: () => string;
  /** Environment for a client of this daemon: its nix.conf (json-log-path too, for the new CLI). */
  clientEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Stops the daemon and every worker it forked. */
  stop(): Promise<void>;
};

const started = new Set<NixNewDaemon>();

export type NixNewOptions = {
  /** json-log-path in its nix.conf; null leaves it out. */
  readonly jsonLogPath: string | null;
  readonly maxJobs?: number;
  readonly extraConf?: string;
};

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Writes a nix.conf dir readable by every test user. */
export function writeNixConf(options: NixNewOptions): string {
  const dir = mkdtempSync(join(tmpdir(), 'nix-btm-nixconf-'));
  chmodSync(dir, 0o755);
  const lines = ['build-users-group = nixbldnew', 'sandbox = false', 'substituters =', 'experimental-features = nix-command',
    `max-jobs = ${options.maxJobs ?? 2}`, ...(options.jsonLogPath !== null ? [`json-log-path = ${options.jsonLogPath}`] : []),
    ...(options.extraConf !== undefined ? [options.extraConf] : [])];
  writeFileSync(join(dir, 'nix.conf'), lines.join('\n') + '\n', { mode: 0o644 });
  return dir;
}

/** Starts `nix-daemon --daemon` (call with the lock held); waits until its socket accepts. */
export async function startNixNew(options: NixNewOptions): Promise<NixNewDaemon> {
  nixNewAvailable();
  if (await socketAnswers(NIX_NEW_SOCKET)) {
    throw new Error(`a nix-new daemon already answers on ${NIX_NEW_SOCKET} (not started by this test): stop it (install.sh stop)`);
  }
  const confDir = writeNixConf(options);
  const logPath = join(confDir, 'daemon.log');
  const out = openSync(logPath, 'a');
  const child: ChildProcess = spawn(`${NIX_NEW_BIN}/nix-daemon`, ['--daemon'], {
    env: { ...process.env, NIX_CONF_DIR: confDir }, stdio: ['ignore', out, out], detached: true,
  });
  const pid = child.pid ?? -1;
  const daemon: NixNewDaemon = {
    pid, confDir, log: () => readFileSync(logPath, 'utf8'),
    clientEnv: (extra = {}) => ({ ...process.env, NIX_CONF_DIR: confDir, ...extra }),
    stop: async () => {
      started.delete(daemon);
      const workers = childrenOf(pid);
      try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
      for (const w of workers) { try { process.kill(w, 'SIGTERM'); } catch { /* gone */ } }
      await waitGone([pid, ...workers], 10_000);
      rmSync(confDir, { recursive: true, force: true });
    },
  };
  started.add(daemon);
  const deadline = Date.now() + 20_000;
  while (!(await socketAnswers(NIX_NEW_SOCKET))) {
    if (child.exitCode !== null) throw new Error(`nix-daemon --daemon exited ${child.exitCode}: ${daemon.log()}`);
    if (Date.now() > deadline) throw new Error(`nix-daemon did not answer on ${NIX_NEW_SOCKET} in 20 s: ${daemon.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return daemon;
}

/** Pids whose parent is `ppid` (the daemon's workers). */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppidHere = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppidHere === ppid) out.push(Number(e));
    } catch { /* gone */ }
  }
  return out;
}

async function waitGone(pids: readonly number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  const alive = (p: number): boolean => {
    try { return !/^State:\s*Z/m.test(readFileSync(`/proc/${p}/status`, 'utf8')); } catch { return false; }
  };
  while (pids.some(alive)) {
    if (Date.now() > deadline) { for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } } return; }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function stopNixNew(): Promise<void> {
  for (const d of [...started]) await d.stop();
}

/** Creates an unprivileged user (home in /home) unless it exists. */
export function ensureUser(name: string): void {
  if (spawnSync('id', [name], { stdio: 'ignore' }).status === 0) return;
  const r = spawnSync('useradd', ['--create-home', '--shell', '/bin/sh', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`useradd ${name}: ${r.stderr}`);
}

export type Build230Options = {
  readonly expr: string;
  readonly args?: Readonly<Record<string, string>>;
  /** nix-build (legacy: never opens json-log-path) or `nix build` (new CLI: opens it itself). */
  readonly cli: 'nix-build' | 'nix build';
  readonly daemon: NixNewDaemon;
  /** Through the daemon (NIX_REMOTE=daemon; always for another user), else root on the local store. */
  readonly remote?: boolean;
  readonly user?: string;
  readonly keepGoing?: boolean;
  readonly attr?: string;
  readonly extraArgs?: readonly string[];
};

function argv230(o: Build230Options): string[] {
  const args = Object.entries(o.args ?? {}).flatMap(([k, v]) => ['--argstr', k, v]);
  const kg = o.keepGoing === true ? ['--keep-going'] : [];
  const attr = o.attr !== undefined ? (o.cli === 'nix-build' ? ['-A', o.attr] : [o.attr]) : [];
  const nix = o.cli === 'nix-build'
    ? [`${NIX_NEW_BIN}/nix-build`, o.expr, ...attr, ...args, '--no-out-link', ...kg]
    : [`${NIX_NEW_BIN}/nix`, 'build', '-f', o.expr, ...attr, ...args, '--no-link', '--print-out-paths', ...kg];
  const full = [...nix, ...(o.extraArgs ?? [])];
  if (o.user === undefined) return full;
  return ['setpriv', `--reuid=${o.user}`, `--regid=${o.user}`, '--init-groups', 'env', `HOME=/home/${o.user}`, `USER=${o.user}`,
    `LOGNAME=${o.user}`, ...full];
}

/** Starts a Nix 2.30.5 build; the child is the Nix process itself (setpriv execs it), so signals reach it. */
export function build230(o: Build230Options): Build {
  const env = o.daemon.clientEnv();
  delete env.NIX_REMOTE;
  if (o.remote === true || o.user !== undefined) env.NIX_REMOTE = 'daemon';
  const [cmd, ...rest] = argv230(o);
  const child = spawn(cmd!, rest, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const done = new Promise<BuildResult>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start ${cmd}: ${err.message}`)));
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stderr: () => stderr, stdout: () => stdout, done };
}

const storeEnv = (): NodeJS.ProcessEnv => ({ ...process.env, NIX_CONFIG: 'json-log-path =', NIX_REMOTE: '' });

/** The .drv of an expression (attribute), instantiated by root in the nix-new store. */
export function instantiate230(expr: string, args: Readonly<Record<string, string>> = {}, attr?: string): string {
  const a = Object.entries(args).flatMap(([k, v]) => ['--argstr', k, v]);
  const r = spawnSync(`${NIX_NEW_BIN}/nix-instantiate`, [expr, ...(attr !== undefined ? ['-A', attr] : []), ...a],
    { encoding: 'utf8', env: storeEnv() });
  if (r.status !== 0) throw new Error(`nix-instantiate ${expr}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The store's word: are all the outputs of this derivation valid in /nix-new/store? */
export function outputsValid230(drvPath: string): boolean {
  const q = spawnSync(`${NIX_NEW_BIN}/nix-store`, ['-q', '--outputs', drvPath], { encoding: 'utf8', env: storeEnv() });
  if (q.status !== 0) throw new Error(`nix-store -q --outputs ${drvPath}: ${q.stderr}`);
  return q.stdout.trim().split('\n').every((p) =>
    spawnSync(`${NIX_NEW_BIN}/nix-store`, ['--check-validity', p], { stdio: 'ignore', env: storeEnv() }).status === 0);
}

/** A dir every test user can read, for expressions. */
export function exprDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nix-btm-expr230-'));
  chmodSync(dir, 0o755);
  return dir;
}

export function writeExpr230(dir: string, source: string, name = 'default.nix'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, source, { mode: 0o644 });
  chmodSync(path, 0o644);
  return path;
}

/** Pids of live processes running `exe` (readlink /proc/PID/exe). */
export function pidsOfExe(exe: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try { if (readlinkSync(`/proc/${e}/exe`) === exe) out.push(Number(e)); } catch { /* gone or not ours */ }
  }
  return out;
}

/**
 * Expressions of our own shapes (builtins.derivation, /bin/sh), in tests/fixtures/nix-2.30/btm230.nix (the captures
 * there were made from it). Every derivation takes `nonce`, so each run builds.
 * - graph: leafA, leafB (sleep `sleep` s, print `lines` log lines), top needs both.
 * - failing: bad (exit 3 after 1 s), good, needsBad (depends on bad: never starts), top needs all.
 * - overlap: shared, onlyA, onlyB each need shared. slow: one derivation.
 */
export const EXPR_230 = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../fixtures/nix-2.30/btm230.nix'), 'utf8');
