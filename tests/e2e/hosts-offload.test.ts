// Issue 13, remote builds tied across machines: real Nix 2.8 offloads a build with
// `--builders 'ssh://nixbtm-test@127.0.0.1?remote-store=... x86_64-linux' --max-jobs 0` (and the same with ssh-ng://)
// through the test's own sshd.
// Two things make one machine act as two: the local nix-build uses a store of its own (`--store DIR`, so its output
// locks are not the builder's), and the builder side is a nix-daemon 2.8 started here with its own NIX_CONF_DIR
// (trusting nixbtm-test, which Nix requires to build a derivation sent over ssh) and socket, on the machine's
// /nix/store; the shared nix-daemon and /etc/nix/nix.conf are left alone. The local job shows the build with its
// machine, and as that machine is watched too (a second nix-btm daemon, over ssh), its builder appears under it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { daemonSession } from '../../src/feeds/daemon-feed.js';
import { fleet } from '../../src/feeds/fleet-feed.js';
import { fleetViewRows } from '../../src/ui/fleet-rows.js';
import { createFleetStore } from '../../src/ui/fleet-store.js';
import { initialUi } from '../../src/ui/ui-state.js';
import { BIN, startDaemon, stopAll } from './daemon-helpers.js';
import { TEST_USER, nixAvailable, nonce, tinyExprSource, waitFor, writeExpr } from './nix-harness.js';
import { removeSshd, startSshd, unlock, type Sshd } from './ssh-harness.js';

let sshd: Sshd;
let dir: string;
let nixDaemon: ChildProcess | null = null;
const stops: (() => void)[] = [];

beforeAll(async () => {
  nixAvailable({ user: true });
  unlock(TEST_USER);
  sshd = await startSshd([TEST_USER]);
  dir = mkdtempSync(join(tmpdir(), 'btm-hosts-offload-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'conf'));
  writeFileSync(join(dir, 'conf', 'nix.conf'), `build-users-group = nixbld\nsandbox = false\nsubstituters =\ntrusted-users = root ${TEST_USER}\n`);
  nixDaemon = spawn('nix-daemon', [], { env: { ...process.env, NIX_CONF_DIR: join(dir, 'conf'), NIX_DAEMON_SOCKET_PATH: SOCKET() }, stdio: 'ignore' });
  await waitFor(() => existsSync(SOCKET()), 10_000, 'the test nix-daemon socket');
  chmodSync(SOCKET(), 0o666);
});
afterEach(async () => {
  for (const s of stops.splice(0)) s();
  await stopAll();
});
afterAll(async () => {
  if (sshd) { await sshd.stop(); removeSshd(sshd); }
  if (nixDaemon) { nixDaemon.kill('SIGTERM'); await new Promise((r) => nixDaemon!.once('exit', r)); }
  rmSync(dir, { recursive: true, force: true });
});

const SOCKET = (): string => join(dir, 'nix-daemon.sock');


describe('a build Nix offloads to a watched machine', () => {
  // ssh-ng: the builder's own nix-daemon relays its Build and Builds activities inside the local stream as well.
  it.each(['ssh', 'ssh-ng'])('%s: shows on the local job with its machine, and the machine’s builder under the same derivation', async (scheme) => {
    const local = await startDaemon({ refreshMs: 250 });
    const builder = await startDaemon({ group: 'nix-users', refreshMs: 250 });
    const hosts = [{ name: 'local', maxJobs: null }, { name: 'builder', maxJobs: 1, aliases: [`${TEST_USER}@127.0.0.1`, '127.0.0.1'] }];
    const store = createFleetStore(hosts, { frameMs: 0 });
    const f = fleet({
      remotes: [{ name: 'builder', destination: `${TEST_USER}@127.0.0.1`, port: null, command: `${process.execPath} ${BIN}`, runtimeDir: builder.dir, maxJobs: 1 }],
      local: { name: 'local', ...daemonSession({ runtimeDir: local.dir, startedByUs: false }) },
      connection: { env: sshd.env, minBackoffMs: 200, maxBackoffMs: 1000 },
    });
    stops.push(f.start(store));
    const host = (n: string) => store.getSnapshot().hosts!.find((h) => h.name === n)!;
    await waitFor(() => host('builder').link === 'connected', 30_000, 'the builder host connected');
    const MACHINE = `${scheme}://${TEST_USER}@127.0.0.1?remote-store=unix://${SOCKET()}`;
    const expr = writeExpr(join(dir, `offload-${scheme}`), tinyExprSource('btm-hosts-offload', 8));
    const n = nonce();
    // The builder machine holds the .drv too (its nix-btm daemon ties the builder to it through its store).
    expect(spawnSync('nix-instantiate', [expr, '--argstr', 'nonce', n], { encoding: 'utf8' }).status).toBe(0);
    // The ssh to the builder is started by this nix-build, with this test's ssh config (NIX_SSHOPTS).
    const nix = spawn(process.execPath, [BIN, 'run', '--runtime-dir', local.dir, '--', 'nix-build', '--store', join(dir, `local-store-${scheme}`), expr,
      '--argstr', 'nonce', n, '--no-out-link', '--max-jobs', '0', '--builders', `${MACHINE} x86_64-linux`],
    { env: { ...sshd.env, NIX_REMOTE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    nix.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    nix.stdout?.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const done = new Promise<number | null>((resolve) => nix.once('close', resolve));
    stops.push(() => nix.kill('SIGKILL'));
    const ui = { ...initialUi, view: 'jobs' as const };
    let rows = fleetViewRows(store.getSnapshot().hosts!, ui).rows;
    await waitFor(() => {
      rows = fleetViewRows(store.getSnapshot().hosts!, ui).rows;
      return rows.some((r) => r.host === 'builder' && /^\s+\d+ nixbld\d+ /.test(r.cells.at(-2) ?? ''));
    }, 90_000, 'the builder’s process under the offloaded build').catch((err: Error) => {
      throw new Error(`${err.message}\nnix: ${stderr.slice(-1500)}\nrows:\n${rows.map((r) => r.cells.join(' | ')).join('\n').slice(-3000)}`);
    });
    const drvRow = rows.find((r) => (r.cells.at(-2) ?? '').includes(`⏵ btm-hosts-offload on ${MACHINE}`));
    expect(drvRow, rows.map((r) => r.cells.join(' | ')).join('\n')).toBeDefined();
    expect(drvRow!.cells.at(-1)).toBe('local');
    const at = rows.indexOf(drvRow!);
    expect(rows[at + 1]?.cells.at(-2)).toMatch(/↳ on builder: running/);
    expect(rows[at + 1]?.cells.at(-1)).toBe('builder');
    const proc = rows.slice(at + 2).find((r) => r.host === 'builder' && r.targets?.process);
    const pid = proc!.targets!.process!.pid;
    // The process row is the builder daemon's own record of it: a signal from it goes to the builder host.
    expect(host('builder').state.processes.some((p) => p.pid === pid && p.role === 'builder')).toBe(true);
    expect(proc!.targets!.process!.host).toBe('builder');
    expect(await done, stderr.slice(-2000)).toBe(0);
    await waitFor(() => host('local').state.derivations.get(drvRow!.drvPath!)?.status === 'built', 30_000, 'the local job’s build built');
    expect(host('local').state.derivations.get(drvRow!.drvPath!)?.machine).toBe(MACHINE);
  });
});
