// Issue 13, many machines: a real sshd on 127.0.0.1 (its own port, host key and config), test users with a key, and
// a second nix-btm daemon with its own runtime dir standing for the remote machine. Real Nix 2.8 builds go through
// `nix-btm run` on both; the UI's fleet store (the same one `nix-btm --host` runs) follows both, each in its own
// state, reached through the system ssh and `nix-btm proxy` on the far side, run as the ssh user.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hello } from '../../src/client/daemon-client.js';
import type { HostSpec } from '../../src/remote/hosts.js';
import type { State } from '../../src/state/model.js';
import { toSnapshot } from '../../src/state/snapshot.js';
import { daemonSession } from '../../src/feeds/daemon-feed.js';
import { fleet, type Fleet } from '../../src/feeds/fleet-feed.js';
import { fleetViewRows } from '../../src/ui/fleet-rows.js';
import { createFleetStore, type FleetStore, type HostView } from '../../src/ui/fleet-store.js';
import { initialUi } from '../../src/ui/ui-state.js';
import { BIN, startDaemon, startRun, stopAll, type Daemon } from './daemon-helpers.js';
import { nixAvailable, nonce, tinyExprSource, waitFor, writeExpr } from './nix-harness.js';
import { procState } from './authz-helpers.js';
import { HOSTS_GROUP, ensureHostUsers, removeSshd, startSshd, type Sshd } from './ssh-harness.js';

const U = 'btm-hosts-u';
const V = 'btm-hosts-v';
let sshd: Sshd;
let exprDir: string;
const running: (() => void)[] = [];

beforeAll(async () => {
  nixAvailable();
  ensureHostUsers(U, V);
  sshd = await startSshd([U, V]);
  exprDir = mkdtempSync(join(tmpdir(), 'btm-hosts-expr-'));
  chmodSync(exprDir, 0o755);
});
afterEach(async () => {
  for (const stop of running.splice(0)) stop();
  await sshd.start().catch(() => undefined);
  await stopAll();
});
afterAll(async () => {
  if (sshd) { await sshd.stop(); removeSshd(sshd); }
  if (exprDir) rmSync(exprDir, { recursive: true, force: true });
});

const remoteSpec = (name: string, user: string, daemon: Daemon): HostSpec => ({
  name, destination: user, port: null, command: `${process.execPath} ${BIN}`, runtimeDir: daemon.dir, maxJobs: 2,
});

/** The fleet the UI runs: this machine's daemon as `local`, the others over ssh with the test's client config. */
function startFleet(local: Daemon | null, remotes: readonly HostSpec[]): { store: FleetStore; fleet: Fleet; host: (n: string) => HostView } {
  const store = createFleetStore([...(local ? [{ name: 'local', maxJobs: null }] : []), ...remotes.map((r) => ({ name: r.name, maxJobs: r.maxJobs }))], { frameMs: 0 });
  const f = fleet({
    remotes,
    local: local ? { name: 'local', ...daemonSession({ runtimeDir: local.dir, startedByUs: false }) } : null,
    connection: { env: sshd.env, minBackoffMs: 200, maxBackoffMs: 1000 },
  });
  running.push(f.start(store));
  const host = (n: string): HostView => store.getSnapshot().hosts!.find((h) => h.name === n)!;
  return { store, fleet: f, host };
}

function build(name: string, seconds: number): string[] {
  const expr = writeExpr(join(exprDir, name), tinyExprSource(name, seconds));
  return ['nix-build', expr, '--argstr', 'nonce', nonce(), '--no-out-link'];
}

const uidOf = (user: string): number => Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
const drvNamed = (s: State, name: string) => [...s.derivations.values()].find((d) => d.name === name);

/** The remote daemon's state and the UI's copy of it, whole (jobs, derivations, processes, scalars): equal. */
async function expectSameState(host: () => HostView, daemon: Daemon): Promise<void> {
  let last = '';
  await waitFor(async () => {
    const theirs = JSON.stringify(toSnapshot((await hello(daemon.paths.control)).state));
    last = JSON.stringify(toSnapshot(host().state));
    return theirs === last;
  }, 30_000, 'the UI state of the remote host to equal its daemon').catch(async (err: Error) => {
    const theirs = JSON.stringify(toSnapshot((await hello(daemon.paths.control)).state));
    expect(last.slice(0, 2000)).toBe(theirs.slice(0, 2000));
    throw err;
  });
}

const link = (h: () => HostView, want: HostView['link'], ms = 30_000): Promise<void> => waitFor(() => h().link === want, ms, `link ${want}`);

// The daemons scan /proc once an hour here: the state changes only with these tests' builds, so it can settle.
const QUIET = 3_600_000;

describe('nix-btm --host: several machines through ssh', () => {
  it('shows the builds of both machines with the right HOST, each host in its own state', async () => {
    const local = await startDaemon({ refreshMs: QUIET });
    const remote = await startDaemon({ group: HOSTS_GROUP, refreshMs: QUIET });
    const { store, host } = startFleet(local, [remoteSpec('remote', U, remote)]);
    await link(() => host('remote'), 'connected');
    const l = startRun(local.dir, build('btm-hosts-on-local', 1));
    const r = startRun(remote.dir, build('btm-hosts-on-remote', 1), { user: U });
    expect((await l.done).code).toBe(0);
    expect((await r.done).code).toBe(0);
    await waitFor(() => drvNamed(host('remote').state, 'btm-hosts-on-remote')?.status === 'built'
      && drvNamed(host('local').state, 'btm-hosts-on-local')?.status === 'built', 30_000, 'both builds shown built');
    // Never mixed: each host's state has only its own build.
    expect(drvNamed(host('local').state, 'btm-hosts-on-remote')).toBeUndefined();
    expect(drvNamed(host('remote').state, 'btm-hosts-on-local')).toBeUndefined();
    const { rows, columns } = fleetViewRows(store.getSnapshot().hosts!, { ...initialUi, view: 'jobs' });
    expect(columns.at(-1)?.title).toBe('HOST');
    const rowOf = (name: string) => rows.find((x) => x.cells.some((c) => c.includes(`✔ ${name}`)));
    expect(rowOf('btm-hosts-on-remote')?.cells.at(-1)).toBe('remote');
    expect(rowOf('btm-hosts-on-local')?.cells.at(-1)).toBe('local');
    expect(rows.filter((x) => x.cells.some((c) => c.includes('btm-hosts-on-remote'))).every((x) => x.host === 'remote')).toBe(true);
    // The remote job's user is the ssh user who ran the build there.
    const job = rows.find((x) => x.host === 'remote' && x.key.includes('j:run:'));
    expect(job?.cells[1]).toBe(U);
    // A host filter keeps one machine's rows.
    const only = fleetViewRows(store.getSnapshot().hosts!, { ...initialUi, view: 'jobs', filters: { ...initialUi.filters, jobs: 'host:remote' } });
    expect(only.rows.length).toBeGreaterThan(0);
    expect(only.rows.every((x) => x.host === 'remote')).toBe(true);
    await expectSameState(() => host('remote'), remote);
  });

  it('a killed ssh connection is a visible state; a build done meanwhile is there after the reconnect, the state exact', async () => {
    const remote = await startDaemon({ group: HOSTS_GROUP, refreshMs: QUIET });
    const { host } = startFleet(null, [remoteSpec('remote', U, remote)]);
    await link(() => host('remote'), 'connected');
    await sshd.stop();
    await link(() => host('remote'), 'unreachable');
    expect(host('remote').detail).toMatch(/retry in/);
    const r = startRun(remote.dir, build('btm-hosts-offline', 1), { user: U });
    expect((await r.done).code).toBe(0);
    expect(drvNamed(host('remote').state, 'btm-hosts-offline')).toBeUndefined();
    await sshd.start();
    await link(() => host('remote'), 'connected');
    await waitFor(() => drvNamed(host('remote').state, 'btm-hosts-offline')?.status === 'built', 30_000, 'the offline build');
    await expectSameState(() => host('remote'), remote);
    // A session killed under a live server: the UI reconnects by itself.
    sshd.killSessions(U);
    await link(() => host('remote'), 'unreachable', 15_000);
    await link(() => host('remote'), 'connected');
    await expectSameState(() => host('remote'), remote);
  });

  it('a remote daemon killed mid-build shows as down; the restarted one is followed, with the replayed build', async () => {
    const first = await startDaemon({ group: HOSTS_GROUP, refreshMs: QUIET });
    const { host } = startFleet(null, [remoteSpec('remote', U, first)]);
    await link(() => host('remote'), 'connected');
    const r = startRun(first.dir, build('btm-hosts-restart', 6), { user: U });
    await waitFor(() => drvNamed(host('remote').state, 'btm-hosts-restart')?.status === 'running', 60_000, 'the build running');
    await first.stop('SIGKILL');
    await link(() => host('remote'), 'daemon-down');
    const second = await startDaemon({ dir: first.dir, group: HOSTS_GROUP, refreshMs: QUIET });
    await link(() => host('remote'), 'connected');
    expect((await r.done).code).toBe(0);
    await waitFor(() => drvNamed(host('remote').state, 'btm-hosts-restart')?.status === 'built', 30_000, 'the replayed build');
    await expectSameState(() => host('remote'), second);
  });

  it("a signal to a remote builder is decided by the remote daemon: the ssh user's own build yes, another user's no", async () => {
    const remote = await startDaemon({ group: HOSTS_GROUP, refreshMs: 250 });
    const { fleet: f, host } = startFleet(null, [remoteSpec('remote', U, remote), remoteSpec('other', V, remote)]);
    await link(() => host('remote'), 'connected');
    await link(() => host('other'), 'connected');
    const r = startRun(remote.dir, build('btm-hosts-signal', 120), { user: U });
    let builder: { pid: number; startedAt: number } | undefined;
    await waitFor(() => {
      const d = drvNamed(host('remote').state, 'btm-hosts-signal');
      builder = host('remote').state.processes.find((p) => p.role === 'builder' && p.drvPath === d?.drvPath);
      return builder !== undefined;
    }, 60_000, 'the builder in the UI state');
    const req = { target: 'build' as const, pid: builder!.pid, startedAt: builder!.startedAt };
    const refused = await f.controller.signal({ ...req, signal: 'STOP', host: 'other' });
    expect(refused.ok).toBe(false);
    // The remote daemon's own words, about the ssh user of that connection (SO_PEERCRED of the proxy there).
    expect(refused.ok ? '' : refused.reason).toBe(`other: uid ${uidOf(V)} may only signal its own processes and the builds of its own Nix clients`);
    expect(procState(builder!.pid)).not.toBe('T');
    // The builder's environment (the detail pane's) the same way: the owner's, not another ssh user's.
    const env = await f.controller.forHost!('remote')!.environ!(builder!.pid, builder!.startedAt);
    expect(env.ok && new Map(env.environ).get('name')).toBe('btm-hosts-signal');
    const other = await f.controller.forHost!('other')!.environ!(builder!.pid, builder!.startedAt);
    expect(other.ok).toBe(false);
    expect(await f.controller.signal({ ...req, signal: 'STOP', host: 'remote' })).toEqual({ ok: true });
    await waitFor(() => procState(builder!.pid) === 'T', 10_000, 'the builder stopped');
    expect(await f.controller.signal({ ...req, signal: 'CONT', host: 'remote' })).toEqual({ ok: true });
    await waitFor(() => procState(builder!.pid) !== 'T', 10_000, 'the builder continued');
    r.child.kill('SIGINT');
    await r.done;
  });
});
