// Issue 13, the History view of several machines, with real parts: this machine's daemon and a second one with its
// own runtime dir and its own history database, reached over the test's sshd (`nix-btm proxy` as the ssh user).
// Real Nix 2.8 builds through `nix-btm run` are recorded on each; the UI's fleet history lists both with the right
// HOST, a job opens from the host that recorded it, and the UI in tmux shows them. The remote daemon decides who may
// ask: its own answer to a bad query, and an ssh user outside its group gets exactly what a local query by that user
// gets (the control socket refuses it). A host that goes away is a row saying so; the view never hangs.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DrvSummary } from '../../src/history/queries.js';
import type { HostSpec } from '../../src/remote/hosts.js';
import { daemonSession } from '../../src/feeds/daemon-feed.js';
import { fleet } from '../../src/feeds/fleet-feed.js';
import { createFleetStore } from '../../src/ui/fleet-store.js';
import { loadFleet, type HistoryParams } from '../../src/ui/use-history.js';
import { BIN, startDaemon, startRun, stopAll, type Daemon } from './daemon-helpers.js';
import { nixAvailable, nonce, tinyExprSource, waitFor, writeExpr } from './nix-harness.js';
import { HOSTS_GROUP, ensureHostUsers, removeSshd, startSshd, unlock, type Sshd } from './ssh-harness.js';
import { tmuxScreen } from './tmux-screen.js';

const U = 'btm-histhosts-u';
/** An ssh user outside the remote daemon's group: that daemon's sockets are not for it. */
const W = 'btm-histhosts-w';
const SESSION = `nix-btm-histhosts-${process.pid}`;
let sshd: Sshd;
let dir: string;
const stops: (() => void)[] = [];

const { tmux, waitScreen, end: endSession } = tmuxScreen(SESSION);

beforeAll(async () => {
  nixAvailable();
  ensureHostUsers(U);
  if (spawnSync('id', [W]).status !== 0) execFileSync('useradd', ['-m', '-s', '/bin/bash', W]);
  unlock(W);
  sshd = await startSshd([U, W]);
  dir = mkdtempSync(join(tmpdir(), 'btm-histhosts-'));
  chmodSync(dir, 0o755);
});
afterEach(async () => {
  endSession();
  for (const s of stops.splice(0)) s();
  await sshd.start().catch(() => undefined);
  await stopAll();
});
afterAll(async () => {
  if (sshd) { await sshd.stop(); removeSshd(sshd); }
  rmSync(dir, { recursive: true, force: true });
});

const spec = (name: string, user: string, d: Daemon): HostSpec => ({ name, destination: user, port: null, command: `${process.execPath} ${BIN}`, runtimeDir: d.dir, maxJobs: 2 });
const JOBS: HistoryParams = { shown: true, job: null, pane: 'jobs', filter: '', sort: { column: 0, desc: true } };

/** A real Nix 2.8 build of a derivation named `name`, through `nix-btm run` into the daemon in `d`. */
async function build(d: Daemon, name: string, user?: string): Promise<void> {
  const expr = writeExpr(join(dir, name), tinyExprSource(name, 1));
  const r = startRun(d.dir, ['nix-build', expr, '--argstr', 'nonce', nonce(), '--no-out-link'], { user });
  const done = await r.done;
  expect(done.code, done.stderr).toBe(0);
}

describe('the History view of several machines', () => {
  it('lists each host’s recorded builds with its HOST, opens a job from its host, says when a host is away', async () => {
    const local = await startDaemon({ refreshMs: 500 });
    const remote = await startDaemon({ group: HOSTS_GROUP, refreshMs: 500 });
    await build(local, 'btm-histhosts-here');
    await build(remote, 'btm-histhosts-far', U);
    const store = createFleetStore([{ name: 'here', maxJobs: null }, { name: 'far', maxJobs: 2 }], { frameMs: 0 });
    const f = fleet({ remotes: [spec('far', U, remote)], local: { name: 'here', ...daemonSession({ runtimeDir: local.dir, startedByUs: false }) },
      connection: { env: sshd.env, minBackoffMs: 200, maxBackoffMs: 1000 } });
    stops.push(f.start(store));
    const fh = f.controller.fleetHistory!;
    // The history worker writes once a second: wait for both databases to hold their job.
    let jobs: { host: string; command: string; id: number }[] = [];
    await waitFor(async () => {
      const r = await loadFleet(fh, JOBS);
      jobs = r.data.kind === 'jobs' ? r.data.jobs.map((j, i) => ({ host: r.data.kind === 'jobs' ? r.data.hosts![i]! : '', command: j.command, id: j.id })) : [];
      return jobs.some((j) => j.host === 'far' && j.command.includes('btm-histhosts-far')) && jobs.some((j) => j.host === 'here');
    }, 60_000, 'both hosts’ jobs in the fleet history');
    // Each job under the host whose database recorded it, never the other's.
    expect(jobs.filter((j) => j.command.includes('btm-histhosts-far')).map((j) => j.host)).toEqual(['far']);
    expect(jobs.filter((j) => j.command.includes('btm-histhosts-here')).map((j) => j.host)).toEqual(['here']);
    // host: words ask that host only.
    const onlyFar = await loadFleet(fh, { ...JOBS, filter: 'host:far' });
    expect(onlyFar.data.kind === 'jobs' ? [...new Set(onlyFar.data.hosts)] : null).toEqual(['far']);
    // Both databases number their jobs from 1: the far job opens from far.
    const farJob = jobs.find((j) => j.host === 'far' && j.command.includes('btm-histhosts-far'))!;
    // The job's row can be written a flush (1 s) before its derivation's: the build ended just before the test asked.
    let opened = await loadFleet(fh, { ...JOBS, job: farJob.id, jobHost: 'far' });
    await waitFor(async () => {
      opened = await loadFleet(fh, { ...JOBS, job: farJob.id, jobHost: 'far' });
      return opened.data.kind !== 'job' || opened.data.derivations.length > 0;
    }, 10_000, 'the far job’s derivation in its history');
    expect(opened.data.kind).toBe('job');
    const drvs = opened.data.kind === 'job' ? opened.data.derivations as DrvSummary[] : [];
    expect(drvs.map((d) => d.name)).toEqual(['btm-histhosts-far']);
    expect(drvs[0]!.status).toBe('built');
    expect(drvs[0]!.durationMs).toBeGreaterThanOrEqual(900);
    // The far daemon checks the query itself (the proxy carries it as is).
    const refused = await fh.ask('far', { kind: 'evil' } as never);
    expect(refused).toEqual({ ok: false, reason: 'bad history query: unknown history query "evil"' });
    expect(f.badHistory.size).toBe(0);
    // ssh gone: the far host is a problem row within the wait, the local jobs still there.
    await sshd.stop();
    const t0 = Date.now();
    let away = await loadFleet(fh, JOBS, 3000);
    await waitFor(async () => { away = await loadFleet(fh, JOBS, 3000); return away.data.kind === 'jobs' && (away.data.problems ?? []).length > 0; }, 30_000, 'far as a problem');
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(away.data.kind === 'jobs' ? away.data.problems!.map((p) => p.host) : null).toEqual(['far']);
    expect(away.data.kind === 'jobs' ? new Set(away.data.hosts) : null).toEqual(new Set(['here']));
    expect(away.error).toMatch(/^far: /);
  });

  it('an ssh user outside the far daemon’s group gets what a local query by that user gets: refused', async () => {
    const remote = await startDaemon({ group: HOSTS_GROUP, refreshMs: 500 });
    const store = createFleetStore([{ name: 'mine', maxJobs: 2 }, { name: 'other', maxJobs: 2 }], { frameMs: 0 });
    const f = fleet({ remotes: [spec('mine', U, remote), spec('other', W, remote)], local: null,
      connection: { env: sshd.env, minBackoffMs: 200, maxBackoffMs: 1000 } });
    stops.push(f.start(store));
    const host = (n: string) => store.getSnapshot().hosts!.find((h) => h.name === n)!;
    await waitFor(() => host('mine').link === 'connected' && host('other').link === 'daemon-down', 30_000, 'mine connected, other refused by the socket');
    const mine = await f.controller.fleetHistory!.ask('mine', { kind: 'jobs', limit: 5 });
    expect(mine.ok).toBe(true);
    const theirs = await f.controller.fleetHistory!.ask('other', { kind: 'jobs', limit: 5 });
    expect(theirs.ok).toBe(false);
    const reason = theirs.ok ? '' : theirs.reason;
    expect(reason).toMatch(/EACCES/);
    // The same query by that user on the far machine itself.
    const localQuery = spawnSync('setpriv', [`--reuid=${W}`, `--regid=${W}`, '--init-groups', process.execPath, BIN, 'history', '--runtime-dir', remote.dir, '--json'], { encoding: 'utf8' });
    expect(localQuery.status).not.toBe(0);
    expect(localQuery.stderr).toMatch(`permission denied: ask to be added to group '${HOSTS_GROUP}'`);
  });

  it('`nix-btm history --host` and `stats --host`: the far daemon’s history over ssh; the far daemon decides who may ask; ssh gone is an error, not a hang', async () => {
    const local = await startDaemon({ refreshMs: 500 });
    const remote = await startDaemon({ group: HOSTS_GROUP, refreshMs: 500 });
    await build(remote, 'btm-histhosts-cli-far', U);
    await build(local, 'btm-histhosts-cli-here');
    const config = join(dir, 'cli-config.json');
    writeFileSync(config, JSON.stringify({ hosts: [
      { uri: `ssh://${U}`, name: 'far', command: `${process.execPath} ${BIN}`, runtimeDir: remote.dir },
      { uri: `ssh://${W}`, name: 'stranger', command: `${process.execPath} ${BIN}`, runtimeDir: remote.dir },
    ] }));
    const cli = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args, '--config', config, '--runtime-dir', local.dir], { env: { ...sshd.env, CI: 'true' }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
    });
    type Listed = { jobs: { id: number; command: string; host: string }[] };
    let far: Listed = { jobs: [] };
    // The history worker writes once a second: ask until the far build is there.
    await waitFor(async () => {
      const r = await cli('history', '--host', 'far', '--json', '--name', 'btm-histhosts-cli');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      far = JSON.parse(r.stdout) as Listed;
      return far.jobs.length > 0;
    }, 60_000, 'the far build in `history --host far`');
    // The far machine's jobs only, never this machine's.
    expect(far.jobs.map((j) => j.command).filter((c) => c.includes('btm-histhosts-cli-far')).length).toBe(1);
    expect(far.jobs.some((j) => j.command.includes('btm-histhosts-cli-here'))).toBe(false);
    const here = JSON.parse((await cli('history', '--json', '--name', 'btm-histhosts-cli')).stdout) as Listed;
    expect(here.jobs.some((j) => j.command.includes('btm-histhosts-cli-here'))).toBe(true);
    expect(here.jobs.some((j) => j.command.includes('btm-histhosts-cli-far'))).toBe(false);
    // One job opens from the far database (ids are per database), as a table too.
    const farJob = far.jobs.find((j) => j.command.includes('btm-histhosts-cli-far'))!;
    await waitFor(async () => {
      const r = await cli('history', '--host', 'far', '--job', String(farJob.id));
      return r.code === 0 && /built +btm-histhosts-cli-far/.test(r.stdout);
    }, 10_000, 'the far job’s derivation');
    const stats = await cli('stats', '--host', 'far', '--json');
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toHaveProperty('slowest');
    // An ssh user outside the far daemon's group: refused there, as a local query by that user is.
    const stranger = await cli('history', '--host', 'stranger', '--json');
    expect(stranger.code).toBe(3);
    expect(stranger.stderr).toMatch(/^nix-btm: history from stranger \(over ssh\): no daemon answers there: .*EACCES/m);
    // ssh gone: an error naming the host within the wait, never a hang.
    await sshd.stop();
    const t0 = Date.now();
    const away = await cli('history', '--host', 'far');
    expect(away.code).toBe(3);
    expect(away.stderr).toMatch(/^nix-btm: history from far \(over ssh\): unreachable: /m);
    expect(Date.now() - t0).toBeLessThan(40_000);
  });

  it('in tmux: the History tab lists both machines’ builds with HOST; the far job opens from far', async () => {
    const local = await startDaemon({ refreshMs: 500 });
    const remote = await startDaemon({ group: HOSTS_GROUP, refreshMs: 500 });
    await build(local, 'btm-histhosts-tmux-here');
    await build(remote, 'btm-histhosts-tmux-far', U);
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ hosts: [{ uri: `ssh://${U}`, name: 'far', command: `${process.execPath} ${BIN}`, runtimeDir: remote.dir, maxJobs: 2 }] }));
    tmux('new-session', '-d', '-s', SESSION, '-x', '160', '-y', '30', 'env -u CI PS1="READY$ " bash --norc --noprofile');
    tmux('send-keys', '-t', SESSION, `NIX_SSHOPTS='-F ${sshd.clientConfig}' ${process.execPath} ${BIN} --runtime-dir ${local.dir} --config ${config}`, 'Enter');
    await waitScreen(/far ⏵0\/2 cpu/);
    tmux('send-keys', '-t', SESSION, '5');
    // Only this test's jobs: the daemons also record other local builds by root (local-builds.ts) made meanwhile.
    tmux('send-keys', '-t', SESSION, '/');
    tmux('send-keys', '-t', SESSION, '-l', 'btm-histhosts-tmux');
    tmux('send-keys', '-t', SESSION, 'Enter');
    const here = hostname();
    let s = await waitScreen(new RegExp(`btm-histhosts-tmux-far.* far\\s*$[\\s\\S]*btm-histhosts-tmux-here.* ${here}\\s*$`, 'm'), 60_000);
    expect(s).toMatch(/ WHAT +HOST\s*$/m);
    // Newest first: the far build ran last.
    const lines = s.split('\n');
    const farLine = lines.findIndex((l) => /btm-histhosts-tmux-far/.test(l));
    expect(lines[farLine]).toMatch(/^›/);
    tmux('send-keys', '-t', SESSION, 'Enter');
    s = await waitScreen(/job \d+ on far: 1 derivations/);
    expect(s).toMatch(/built +btm-histhosts-tmux-far +\d/);
    tmux('send-keys', '-t', SESSION, 'Escape');
    await waitScreen(/past jobs/);
    await sshd.stop();
    s = await waitScreen(/no answer +no history from far: .* far\s*$/m, 40_000);
    expect(s).toMatch(new RegExp(`btm-histhosts-tmux-here.* ${here}\\s*$`, 'm'));
    expect(s).not.toMatch(/btm-histhosts-tmux-far/);
    tmux('send-keys', '-t', SESSION, 'q');
    await waitScreen(/^READY\$\s*$/m, 10_000);
  });
});
