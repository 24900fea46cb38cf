// Helpers for e2e tests that drive real Nix (set up by scripts/nix-setup.sh). They never skip:
// a missing Nix or daemon is an error telling how to set it up.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

/** Unprivileged user created by scripts/nix-setup.sh (member of nix-users, home /home/nixbtm-test). */
export const TEST_USER = 'nixbtm-test';

const SETUP_HINT = 'run `sudo bash scripts/nix-setup.sh` (installs Nix 2.8, starts nix-daemon, creates the test user)';

function succeeds(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const r = spawnSync(cmd, args, { env, stdio: 'ignore', timeout: 15_000 });
  return r.error === undefined && r.status === 0;
}

/** Throws a clear error unless nix-build, the daemon (and with `user`, the test user) are ready. */
export function nixAvailable(options: { readonly user?: boolean } = {}): void {
  if (!succeeds('nix-build', ['--version'])) throw new Error(`nix-build is not on PATH: ${SETUP_HINT}`);
  const ping = ['--extra-experimental-features', 'nix-command', 'store', 'ping'];
  if (!succeeds('nix', ping, { ...process.env, NIX_REMOTE: 'daemon' })) {
    throw new Error(`no nix-daemon answers on /nix/var/nix/daemon-socket/socket: ${SETUP_HINT}`);
  }
  if (options.user === true && !succeeds('id', [TEST_USER])) {
    throw new Error(`test user ${TEST_USER} does not exist: ${SETUP_HINT}`);
  }
}

/** A fresh string for a derivation's `nonce` argument, so every test run rebuilds. */
export function nonce(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Writes a Nix expression readable by the test user (dir 0755, file 0644); returns its path. */
export function writeExpr(dir: string, source: string, fileName = 'default.nix'): string {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const path = join(dir, fileName);
  writeFileSync(path, source);
  chmodSync(path, 0o644);
  return path;
}

/** Source of a one-derivation expression (args: nonce) that prints a phase and a few lines. */
export function tinyExprSource(name = 'nix-btm-e2e-tiny', seconds = 0): string {
  return `{ nonce ? "0" }:
builtins.derivation {
  name = "${name}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  inherit nonce;
  args = [ "-c" ''
    echo "@nix {\\"action\\":\\"setPhase\\",\\"phase\\":\\"buildPhase\\"}" >&2
    echo "building ${name} $nonce"
    sleep ${seconds}
    mkdir -p $out
    echo "$nonce" > $out/nonce
  '' ];
}
`;
}

export type NixArgs = Readonly<Record<string, string>>;

function argstr(args: NixArgs): string[] {
  return Object.entries(args).flatMap(([key, value]) => ['--argstr', key, value]);
}

/** The .drv path of an expression, instantiated as the current user in the local store. */
export function instantiate(expr: string, args: NixArgs = {}): string {
  const r = spawnSync('nix-instantiate', [expr, ...argstr(args)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nix-instantiate ${expr} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Whether a store path is valid (registered and present) in the store. */
export function storePathValid(path: string): boolean {
  return succeeds('nix-store', ['--check-validity', path]);
}

export type BuildOptions = {
  /** Path of the Nix expression file. */
  readonly expr: string;
  /** Passed as --argstr. */
  readonly args?: NixArgs;
  /** Through the nix-daemon (NIX_REMOTE=daemon) instead of the local store. */
  readonly daemon?: boolean;
  /** Run as this user (needs root; the user builds through the daemon). */
  readonly user?: string;
  readonly keepGoing?: boolean;
  /** Extra nix-build flags, e.g. ['-v']. */
  readonly extraArgs?: readonly string[];
};

export type BuildResult = {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
};

export type Build = {
  /** The nix-build process itself (no wrapper in between: signals reach it directly). */
  readonly child: ChildProcess;
  /** stderr (the internal-json log) collected so far. */
  readonly stderr: () => string;
  readonly stdout: () => string;
  /** Settles when the process has exited and its streams are closed. */
  readonly done: Promise<BuildResult>;
};

function commandFor(options: BuildOptions): { argv: string[]; env: NodeJS.ProcessEnv } {
  const nixBuild = ['nix-build', options.expr, ...argstr(options.args ?? {}), '--no-out-link',
    '--log-format', 'internal-json', ...(options.keepGoing === true ? ['--keep-going'] : []),
    ...(options.extraArgs ?? [])];
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NIX_REMOTE;
  if (options.daemon === true) env.NIX_REMOTE = 'daemon';
  const user = options.user;
  if (user === undefined || user === userInfo().username) return { argv: nixBuild, env };
  if (process.getuid?.() !== 0) throw new Error(`building as ${user} needs root (setpriv)`);
  if (options.daemon !== true) throw new Error(`user ${user} can only build through the daemon: set daemon: true`);
  // setpriv execs nix-build, so the child pid is nix-build's own pid.
  const setpriv = ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups',
    'env', `HOME=/home/${user}`, `USER=${user}`, `LOGNAME=${user}`];
  return { argv: [...setpriv, ...nixBuild], env };
}

/** Starts nix-build with --log-format internal-json and collects its output. */
export function buildDrv(options: BuildOptions): Build {
  const { argv, env } = commandFor(options);
  const [cmd, ...rest] = argv;
  if (cmd === undefined) throw new Error('empty command');
  const child = spawn(cmd, rest, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const done = new Promise<BuildResult>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start ${cmd}: ${err.message}. ${SETUP_HINT}`)));
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stderr: () => stderr, stdout: () => stdout, done };
}

/** Polls `predicate` every 50 ms; rejects after `timeoutMs` naming what it waited for. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number,
  what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One `@nix` record, ids kept as strings (they exceed 2^53). For assertions only: not the app's decoder. */
export type NixRecord = {
  readonly action: string;
  readonly id?: string;
  readonly parent?: string;
  readonly type?: number;
  readonly level?: number;
  readonly text?: string;
  readonly msg?: string;
  readonly fields?: readonly unknown[];
};

export function nixRecords(stderr: string): NixRecord[] {
  return stderr.split('\n')
    .filter((line) => line.startsWith('@nix {'))
    .map((line) => JSON.parse(line.slice(5).replace(/"(id|parent)":(\d+)/g, '"$1":"$2"')) as NixRecord);
}

/** The drv paths of all Build (type 105) start records. */
export function builtDrvs(stderr: string): string[] {
  return nixRecords(stderr)
    .filter((r) => r.action === 'start' && r.type === 105)
    .map((r) => String(r.fields?.[0]));
}
