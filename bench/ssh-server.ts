// A real OpenSSH server for the many-machines tests and the hosts benchmark: Debian's sshd on 127.0.0.1 with its own
// port, host key and config, test users (btm-hosts-*) with a key, and an ssh client config naming each user as a
// host alias, which the UI reaches through NIX_SSHOPTS="-F <config>" exactly as it would through ~/.ssh/config.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HOSTS_GROUP = 'btm-hosts-g';
export const SSHD = '/usr/sbin/sshd';

const run = (cmd: string, args: readonly string[]): string => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const exists = (kind: 'passwd' | 'group', name: string): boolean => spawnSync('getent', [kind, name]).status === 0;

/** Users with a shell and a home, in nix-users (to build) and in the remote daemon's group (to read its ring). */
export function ensureHostUsers(...names: string[]): void {
  if (!exists('group', HOSTS_GROUP)) run('groupadd', [HOSTS_GROUP]);
  for (const name of names) {
    if (!exists('passwd', name)) run('useradd', ['-m', '-s', '/bin/bash', '-G', `nix-users,${HOSTS_GROUP}`, name]);
    unlock(name);
  }
}

/** No password, but not locked ("!"): without PAM, sshd refuses a locked account even with a key. */
export function unlock(...names: string[]): void {
  for (const name of names) run('usermod', ['-p', '*', name]);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => resolve(typeof a === 'object' && a ? a.port : 0)); });
  });
}

export type Sshd = {
  readonly dir: string;
  readonly port: number;
  /** The client config: `Host <user>` for each user, to 127.0.0.1:port with the test key. */
  readonly clientConfig: string;
  readonly env: NodeJS.ProcessEnv;
  readonly pid: () => number;
  /** Stops the server (and every session it runs); start() again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Kills the sessions of `user` (their sshd processes), leaving the server up. */
  killSessions(user: string): void;
};

export async function startSshd(users: readonly string[]): Promise<Sshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server (.ci/run installs it)`);
  const dir = mkdtempSync(join(tmpdir(), 'btm-hosts-sshd-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  const keys = join(dir, 'keys');
  mkdirSync(keys, { mode: 0o755 });
  for (const u of users) writeFileSync(join(keys, u), readFileSync(join(dir, 'client_key.pub')), { mode: 0o644 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const config = join(dir, 'sshd_config');
  writeFileSync(config, [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${keys}/%u`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no',
    'PermitRootLogin no', `AllowUsers ${users.join(' ')}`, 'MaxStartups 100:30:200', 'MaxSessions 50', 'LogLevel ERROR', ''].join('\n'));
  const clientConfig = join(dir, 'ssh_config');
  writeFileSync(clientConfig, users.map((u) => [`Host ${u}`, '  HostName 127.0.0.1', `  Port ${port}`, `  User ${u}`,
    `  IdentityFile ${join(dir, 'client_key')}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
    '  StrictHostKeyChecking accept-new', '  LogLevel ERROR', ''].join('\n')).join('\n')
    // What Nix's remote builds name (`ssh://user@127.0.0.1`): the same server and key, the user from the URI.
    + ['Host 127.0.0.1', `  Port ${port}`, `  IdentityFile ${join(dir, 'client_key')}`, '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`, '  StrictHostKeyChecking accept-new', '  LogLevel ERROR', ''].join('\n'));
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const c = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let err = '';
    c.stderr?.setEncoding('utf8').on('data', (s: string) => { err += s; });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`sshd exited: ${err}`);
      if (Date.now() > deadline) c.kill('SIGTERM');
      const probe = spawnSync('ssh', ['-F', clientConfig, '-o', 'BatchMode=yes', users[0]!, 'true'], { encoding: 'utf8', timeout: 10_000 });
      if (probe.status === 0) return;
      if (Date.now() > deadline) throw new Error(`sshd on port ${port} does not let ${users[0]} in: ${probe.stderr} ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    c.kill('SIGTERM');
    await new Promise((r) => c.once('exit', r));
    for (const u of users) killSessionsOf(u);
  };
  await start();
  return {
    dir, port, clientConfig, env: { ...process.env, NIX_SSHOPTS: `-F ${clientConfig}` },
    pid: () => child?.pid ?? -1,
    stop, start,
    killSessions: killSessionsOf,
  };
}

/** The session processes sshd runs as a test user (one per connection), killed by pid. */
function killSessionsOf(user: string): void {
  const pids = spawnSync('pgrep', ['-u', user, '-x', 'sshd'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.trim() !== '');
  for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ } }
}

export function removeSshd(s: Sshd): void {
  rmSync(s.dir, { recursive: true, force: true });
}
