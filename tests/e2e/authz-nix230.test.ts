// Attribution on real Nix 2.30.5 (/opt/nix-new): every nix-daemon worker connects to json-log-path as root, whoever
// its client is. Each build must be shown as its real user's and client's (the worker's client connection, by the
// kernel's SO_PEERCRED), once, whether the client is legacy nix-build (only its worker connects) or `nix build`
// (client and worker both connect, with the same activities); and requests about its builder are authorised against
// that real user. A private nix-new daemon (its own socket, NIX_CONFIG pointing json-log-path at the daemon under
// test) is started under /tmp/nix-new.lock and stopped after; the shared one and /etc/nix-new are left alone.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hello } from '../../src/client/daemon-client.js';
import { clientByArgv } from '../../src/daemon/owner.js';
import type { Job, State } from '../../src/state/model.js';
import { shownJobs } from '../../src/state/selectors.js';
import { freshDir, sleep, startDaemon, stopAll, waitForStatus, type Daemon, type ProcessDoc, type StatusDoc } from './daemon-helpers.js';
import { agent, asUserArgv, ensureUsers, gatedExprSource, GROUP, removeAgentFiles, type TestUser } from './authz-helpers.js';
import { nonce, writeExpr } from './nix-harness.js';

const NIX_NEW = '/opt/nix-new/bin';
const LOCK = '/tmp/nix-new.lock';

let alice: TestUser;
let mallory: TestUser;
let lock: ChildProcess | null = null;
let nixDaemon: ChildProcess | null = null;
let socketDir = '';

/** Holds /tmp/nix-new.lock (shared with the other users of nix-new) until release(). */
async function takeLock(): Promise<ChildProcess> {
  const holder = spawn('flock', ['-w', '900', LOCK, '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (c: Buffer) => { if (c.toString().includes('locked')) resolve(); });
    holder.once('exit', (code) => reject(new Error(`flock ${LOCK} exited ${code}`)));
  });
  return holder;
}

const nixEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env, NIX_REMOTE: 'daemon', NIX_DAEMON_SOCKET_PATH: join(socketDir, 'socket'), ...extra,
});

/** A private nix-new daemon whose workers connect to `jsonLogPath`; argument `--daemon`, as NixOS starts it. */
async function startNixNew(jsonLogPath: string): Promise<ChildProcess> {
  // Not NIX_REMOTE=daemon: a daemon told so opens its own socket as its store and recurses through its own workers.
  const env = { ...nixEnv({ NIX_CONFIG: `json-log-path = ${jsonLogPath}` }) };
  delete env.NIX_REMOTE;
  const child = spawn(join(NIX_NEW, 'nix-daemon'), ['--daemon'], { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`nix-new daemon exited: ${err}`);
    const ping = spawnSync(join(NIX_NEW, 'nix'), ['store', 'info'], { env: nixEnv({ NIX_CONFIG: 'json-log-path =' }), encoding: 'utf8', timeout: 10_000 });
    if (ping.status === 0) return child;
    await sleep(100);
  }
  throw new Error(`nix-new daemon does not answer on ${socketDir}/socket: ${err}`);
}

beforeAll(async () => {
  if (!existsSync(join(NIX_NEW, 'nix'))) throw new Error(`Nix 2.30.5 is not installed in ${NIX_NEW}: run ../shared/nix-new/install.sh`);
  [alice, mallory] = ensureUsers('btm-authz-b', 'btm-authz-a') as [TestUser, TestUser];
  lock = await takeLock();
});
afterEach(async () => {
  if (nixDaemon?.pid !== undefined) {
    try { process.kill(-nixDaemon.pid, 'SIGTERM'); } catch { /* gone */ }
    await new Promise((r) => (nixDaemon!.exitCode !== null ? r(null) : nixDaemon!.once('exit', r)));
  }
  nixDaemon = null;
  await stopAll();
});
afterAll(() => {
  removeAgentFiles();
  lock?.stdin?.end();
});

type Client = { user: TestUser | 'root'; cli: 'nix-build' | 'nix build' };

/** Runs one build through the private daemon as the given user and client; resolves with its exit code and pid. */
function build(c: Client, expr: string, jsonLogPath: string): { pid: number; done: Promise<number | null> } {
  const args = c.cli === 'nix-build'
    ? [join(NIX_NEW, 'nix-build'), expr, '--argstr', 'nonce', nonce(), '--no-out-link']
    : [join(NIX_NEW, 'nix'), 'build', '-f', expr, '--argstr', 'nonce', nonce(), '--no-link', '-v'];
  const env = nixEnv({ NIX_CONFIG: `json-log-path = ${jsonLogPath}` });
  const argv = c.user === 'root' ? args : asUserArgv(c.user.name, ['NIX_REMOTE=daemon', `NIX_DAEMON_SOCKET_PATH=${env.NIX_DAEMON_SOCKET_PATH}`,
    `NIX_CONFIG=${env.NIX_CONFIG}`, ...args]);
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  const done = new Promise<number | null>((resolve) => child.once('close', (code) => {
    if (code !== 0) process.stderr.write(`${args.join(' ')}: ${err}\n`);
    resolve(code);
  }));
  return { pid: child.pid!, done };
}

/** The pid of the Nix client itself (setpriv and env exec, so the spawned pid is the client). */
const uidOf = (c: Client): number => (c.user === 'root' ? 0 : c.user.uid);
const nameOf = (c: Client): string => (c.user === 'root' ? 'root' : c.user.name);

async function stateOf(d: Daemon): Promise<State> {
  return (await hello(d.paths.control)).state;
}

const CASES: Client[] = [
  { user: 'root', cli: 'nix-build' }, { user: 'root', cli: 'nix build' },
  { user: null as never, cli: 'nix-build' }, { user: null as never, cli: 'nix build' },
];

describe('Nix 2.30.5 through its daemon: every build attributed to its real user and client, shown once', () => {
  for (const [i, template] of CASES.entries()) {
    const label = `${template.user === 'root' ? 'root' : 'an unprivileged user'} with ${template.cli}`;
    it(label, async () => {
      const c: Client = template.user === 'root' ? template : { ...template, user: alice };
      const d = await startDaemon({ group: GROUP });
      socketDir = freshDir('btm-authz-nixnew-');
      chmodSync(socketDir, 0o755);
      nixDaemon = await startNixNew(d.paths.nixLog);
      // The readiness ping's worker connected too (and is gone before it can be attributed): leave it out.
      // Its source may reach the daemon a moment later than the ping's answer: wait for it to appear and close (an
      // empty list passed at once, and the ping's job then counted as the build's client).
      await waitForStatus(d.dir, (s) => s.sources.length > 0 && s.sources.every((x) => x.status !== 'running'), 10_000, 'the ping closed', true)
        .catch(() => undefined);
      const before = new Set((await stateOf(d)).jobs.keys());
      const exprDir = freshDir('btm-authz-expr-');
      chmodSync(exprDir, 0o755);
      const gate = join(exprDir, 'gate');
      const expr = writeExpr(join(exprDir, `e${i}`), gatedExprSource(`btm-authz-230-${i}`, gate));
      const run = build(c, expr, d.paths.nixLog);

      // While it builds: the builder is tied, and only its real user (or root) may read its environment.
      const mid = await waitForStatus(d.dir, (s) => builderNamed(s, `btm-authz-230-${i}`) !== undefined, 60_000, 'the builder', true);
      const builder = builderNamed(mid, `btm-authz-230-${i}`)!;
      if (c.user !== 'root') {
        const own = agent(c.user.name, d.paths.control, [{ op: 'environ', pid: builder.pid, startedAt: builder.startedAt }], 1);
        expect(own.replies[0]?.ok, JSON.stringify(own.replies[0])).toBe(true);
      }
      const other = agent(mallory.name, d.paths.control, [{ op: 'environ', pid: builder.pid, startedAt: builder.startedAt }], 1);
      expect(other.replies[0]).toMatchObject({ ok: false, op: 'environ' });
      const stop = agent(mallory.name, d.paths.control, [{ op: 'signal', target: 'build', pid: builder.pid, startedAt: builder.startedAt, signal: 'STOP' }], 1);
      expect(stop.replies[0]).toMatchObject({ ok: false, op: 'signal' });
      const cont = agent(c.user === 'root' ? 'root' : c.user.name, d.paths.control,
        [{ op: 'signal', target: 'build', pid: builder.pid, startedAt: builder.startedAt, signal: 'CONT' }], 1);
      expect(cont.replies[0]).toEqual({ ok: true, op: 'signal' });
      // The daemon was started with an argument, so Nix wrote the client's pid over the worker's argv[1]: the
      // fallback agrees with the kernel's word.
      expect(clientByArgv(builder.ppid)).toEqual({ pid: run.pid, uid: uidOf(c), by: 'worker-argv' });

      writeFileSync(gate, '');
      expect(await run.done).toBe(0);
      const end = await waitForStatus(d.dir, (s) => s.jobs.length > 0 && s.jobs.every((j) => j.status !== 'running')
        && s.derivations.some((x) => x.name === `btm-authz-230-${i}` && x.status === 'built'), 30_000, 'the build done', true);
      const state = await stateOf(d);
      // The daemon's own "local" jobs (builders it saw in /proc before a stream explained them) are not connections.
      const jobs = [...state.jobs.values()].filter((j) => !before.has(j.source) && j.info.via !== 'local');
      const workers = jobs.filter((j) => j.info.daemonWorker);
      // Exactly one worker connected (as root), attributed by its client connection to the real client and user.
      expect(workers).toHaveLength(1);
      expect(workers[0]!.info).toMatchObject({ via: 'socket', pid: run.pid, uid: uidOf(c), user: nameOf(c), attributedBy: 'client-socket' });
      expect(workers[0]!.info.peer?.uid).toBe(0);
      expect(workers[0]!.info.command).toContain(c.cli === 'nix-build' ? 'nix-build' : 'nix build');
      const clients = jobs.filter((j) => !j.info.daemonWorker);
      // The new CLI connects itself; a legacy nix-build was never seen to, but once in a CI run a stream of the
      // client's own pid showed up beside its worker's: either way no job but the client's own.
      expect(clients.map((j) => j.info.pid)).toEqual(c.cli === 'nix build' || clients.length > 0 ? [run.pid] : []);
      const shown: Job[] = shownJobs(state).filter((j) => !before.has(j.source) && j.info.via !== 'local');
      expect(shown, 'one build per client').toHaveLength(1);
      expect(shown[0]!.info).toMatchObject({ pid: run.pid, uid: uidOf(c), user: nameOf(c) });
      expect(shown[0]!.info.daemonWorker ?? false).toBe(c.cli === 'nix-build' && clients.length === 0);
      const drvPath = end.derivations.find((x) => x.name === `btm-authz-230-${i}`)!.drvPath;
      expect(shown[0]!.drvs).toContain(drvPath);
      // Only the new CLI's own stream says what it will build (legacy nix-build's worker never does).
      if (c.cli === 'nix build') expect(shown[0]!.plan).toContain(drvPath);
      expect(end.sources.filter((s) => !before.has(s.source)).every((s) => s.uid === uidOf(c)), JSON.stringify(end.sources)).toBe(true);
      // status --json says both: who is behind the worker's stream, and that root's worker carried it.
      const workerDoc = end.sources.find((s) => s.source === workers[0]!.source) as unknown as { peer: { pid: number; uid: number } | null; attributedBy: string | null };
      expect(workerDoc).toMatchObject({ pid: run.pid, uid: uidOf(c), peer: { uid: 0 }, attributedBy: 'client-socket' });
      expect(workerDoc.peer!.pid).not.toBe(run.pid);
    });
  }
});

const builderNamed = (s: StatusDoc, name: string): ProcessDoc | undefined => s.processes.find((p) =>
  p.role === 'builder' && p.drvPath !== null && s.derivations.find((x) => x.drvPath === p.drvPath)?.name === name);
