// Helpers for the authorization attack tests: real unprivileged users (btm-authz-*), a group for --group members,
// and a raw protocol agent that an attacker runs as itself (node builtins only, from a dir every user can read).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GROUP = 'btm-authz-g';
export type TestUser = { readonly name: string; readonly uid: number };

function run(cmd: string, args: readonly string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

const exists = (kind: 'passwd' | 'group', name: string): boolean => spawnSync('getent', [kind, name]).status === 0;

/** Creates (once) the group and the users, members of nix-users (the Nix daemon) and of GROUP (our control socket). */
export function ensureUsers(...names: string[]): TestUser[] {
  if (!exists('group', GROUP)) run('groupadd', [GROUP]);
  return names.map((name) => {
    if (!exists('passwd', name)) run('useradd', ['-m', '-G', `nix-users,${GROUP}`, name]);
    // A user made elsewhere without the groups: added to them, or every attack would fail for the wrong reason.
    else if (!spawnSync('id', ['-nG', name], { encoding: 'utf8' }).stdout.split(/\s+/).includes(GROUP)) run('usermod', ['-aG', `nix-users,${GROUP}`, name]);
    return { name, uid: Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim()) };
  });
}

const AGENT = `import { connect } from 'node:net';
const [path, linesJson, want, holdMs] = process.argv.slice(2);
const lines = JSON.parse(linesJson);
const n = Number(want);
const replies = [];
let buf = '';
const s = connect(path);
const finish = () => { process.stdout.write(JSON.stringify({ pid: process.pid, replies }) + '\\n'); s.end(); setTimeout(() => process.exit(0), 50); };
s.setEncoding('utf8');
s.on('data', (c) => {
  buf += c;
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    replies.push(JSON.parse(buf.slice(0, i)));
    buf = buf.slice(i + 1);
    if (replies.length >= n) finish();
  }
});
s.on('connect', () => { for (const l of lines) s.write(l + '\\n'); if (n === 0) setTimeout(finish, Number(holdMs || 300)); });
s.on('error', (e) => { process.stdout.write(JSON.stringify({ pid: process.pid, error: e.message, replies }) + '\\n'); process.exit(0); });
`;

let agentDir: string | null = null;

/** A dir (0755) with agent.mjs, and `nix-daemon` / `nix-build` names for programs an attacker may name as it likes. */
export function agentFiles(): { dir: string; agent: string; fakeDaemon: string; fakeClient: string } {
  if (agentDir !== null && !existsSync(agentDir)) agentDir = null;
  agentDir ??= (() => {
    const dir = mkdtempSync(join(tmpdir(), 'btm-authz-agent-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'agent.mjs'), AGENT, { mode: 0o644 });
    symlinkSync(process.execPath, join(dir, 'nix-daemon'));
    symlinkSync('/bin/sleep', join(dir, 'nix-build'));
    return dir;
  })();
  return { dir: agentDir, agent: join(agentDir, 'agent.mjs'), fakeDaemon: join(agentDir, 'nix-daemon'), fakeClient: join(agentDir, 'nix-build') };
}

/** For afterAll: the agent dir outlives each test's stopAll(). */
export function removeAgentFiles(): void {
  if (agentDir !== null) rmSync(agentDir, { recursive: true, force: true });
  agentDir = null;
}

export const asUserArgv = (user: string, argv: readonly string[]): string[] =>
  ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', 'env', `HOME=/home/${user}`, `USER=${user}`, ...argv];

export type AgentResult = { pid: number; replies: Array<{ ok: boolean; op?: string; reason?: string; [k: string]: unknown }>; error?: string };

/** Sends `lines` (objects are JSON-encoded) on a socket as `user`, waits for `replies` answers (0: holds `holdMs`). */
export function agent(user: string, socket: string, lines: readonly (object | string)[], replies: number, holdMs = 300): AgentResult {
  const encoded = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l)));
  const argv = asUserArgv(user, [process.execPath, agentFiles().agent, socket, JSON.stringify(encoded), String(replies), String(holdMs)]);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 30_000, maxBuffer: 256 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`agent as ${user} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as AgentResult;
}

/** The same agent left running (a connection held open), started as `user` through `program` (any name). */
export function agentInBackground(user: string, program: string, socket: string, lines: readonly object[], holdMs: number,
  extraArgs: readonly string[] = []): ChildProcess {
  const argv = asUserArgv(user, [program, agentFiles().agent, socket, JSON.stringify(lines.map((l) => JSON.stringify(l))), '0', String(holdMs), ...extraArgs]);
  return spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** One-letter process state (T: stopped), or null once gone. */
export function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** A derivation whose builder sleeps and whose attributes (hence its environment) hold a secret. */
export function secretExprSource(name: string, seconds: number): string {
  return `{ nonce ? "0" }:
builtins.derivation {
  name = "${name}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  inherit nonce;
  secret = "s3cret-\${nonce}";
  args = [ "-c" "echo started; sleep ${seconds}; mkdir -p $out" ];
}
`;
}

/** The same, but its builder waits until `gate` exists (at most two minutes): as long as a loaded machine needs. */
export function gatedExprSource(name: string, gate: string): string {
  return secretExprSource(name, 0).replace('"echo started; sleep 0; mkdir -p $out"',
    `"echo started; i=0; while [ ! -e ${gate} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; mkdir -p $out"`);
}
