// The daemon against real Nix 2.8 through the real nix-daemon (NIX_REMOTE=daemon), fed by `nix-btm run`: statuses,
// builders tied to their derivations through /proc, failures with and without --keep-going, two clients on shared
// derivations, an interrupted client, a late-joining subscription, another user's view and signal requests.
// Every run uses a fresh nonce, so everything really builds; the store is the judge of what was built.
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { subscribe, requestEnviron, sendSignal, type Subscription } from '../../src/client/daemon-client.js';
import type { BtmEvent } from '../../src/state/events.js';
import { stateReport } from '../../src/state/report.js';
import {
  BIN, GRAPH, alive, closeSocket, freshDir, graphBuild, logClient, startDaemon, startRun, status, stopAll, waitForStatus,
  type DerivationDoc, type ProcessDoc, type StatusDoc,
} from './daemon-helpers.js';
import { TEST_USER, buildDrv, nixAvailable, nonce, storePathValid, tinyExprSource, writeExpr } from './nix-harness.js';
import { root } from '../helpers.js';

const subscriptions: Subscription[] = [];

beforeAll(() => nixAvailable({ user: true }));
afterEach(async () => {
  for (const f of subscriptions.splice(0)) f.close();
  await stopAll();
});

const pname = (d: { name: string }): string => d.name.replace(/-[0-9][0-9.]*$/, '');
const named = (s: StatusDoc, name: string): DerivationDoc | undefined => s.derivations.find((d) => pname(d) === name);
const builders = (s: StatusDoc): ProcessDoc[] => s.processes.filter((p) => p.role === 'builder');
const closed = (s: StatusDoc): boolean => s.jobs.length > 0 && s.jobs.every((j) => j.status !== 'running');

/** The store's word: are all of this derivation's outputs valid? */
function outputsValid(drvPath: string): boolean {
  const q = spawnSync('nix-store', ['-q', '--outputs', drvPath], { encoding: 'utf8' });
  if (q.status !== 0) throw new Error(`nix-store -q --outputs ${drvPath}: ${q.stderr}`);
  return q.stdout.trim().split('\n').every((p) => storePathValid(p));
}

/** The `name` attribute in a builder's environment (root may read /proc/PID/environ): the derivation it builds. */
function builderName(pid: number): string | null {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return env.find((v) => v.startsWith('name='))?.slice(5) ?? null;
  } catch {
    return null;
  }
}

/** Waits for the end of the run and of every job, and for the builders to be gone, then asks `status --json`. */
async function finalStatus(dir: string): Promise<StatusDoc> {
  return waitForStatus(dir, (s) => closed(s) && builders(s).length === 0, 60_000, 'every job closed and no builder left');
}

/** A dir the test user can read (expressions it builds). */
function sharedDir(): string {
  const dir = freshDir('nix-btm-expr-');
  chmodSync(dir, 0o755);
  return dir;
}

describe('nix-btm run through the real nix-daemon', () => {
  it('shows running derivations with their builders, then 13 built and the exit code passed through', async () => {
    const d = await startDaemon();
    const run = startRun(d.dir, graphBuild({ nonce: nonce() }));
    const seen: string[] = [];
    const mid = await waitForStatus(d.dir, (s) => {
      const tied = builders(s).filter((p) => p.drvPath !== null && s.derivations.find((x) => x.drvPath === p.drvPath)?.status === 'running');
      for (const p of tied) seen.push(p.drvPath!);
      return tied.length >= 1;
    }, 60_000, 'a running derivation with its builder');
    const running = mid.derivations.filter((x) => x.status === 'running');
    expect(running.length).toBeGreaterThanOrEqual(1);
    for (const p of builders(mid).filter((b) => b.drvPath !== null)) {
      const drv = mid.derivations.find((x) => x.drvPath === p.drvPath);
      expect(drv?.status, `builder ${p.pid} of ${p.drvPath}`).toBe('running');
      expect(p.user).toMatch(/^nixbld\d+$/);
      // The builder's own environment names the same derivation the daemon tied it to (through its outputs).
      const name = builderName(p.pid);
      if (name !== null) expect(name).toBe(drv?.name);
    }
    expect(mid.sources).toHaveLength(1);
    expect(mid.sources[0]).toMatchObject({ via: 'run', uid: 0, user: 'root', status: 'running' });
    expect(mid.sources[0]?.command).toContain('nix-build');
    // As the user typed it: not the flags run adds for itself.
    expect(mid.sources[0]?.command).not.toContain('internal-json');

    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\/nix\/store\/[0-9a-z]{32}-release-2\.0$/);
    const end = await finalStatus(d.dir);
    expect(end.derivations).toHaveLength(13);
    expect(end.derivations.map((x) => x.status)).toEqual(Array(13).fill('built'));
    for (const x of end.derivations) expect(outputsValid(x.drvPath), x.name).toBe(true);
    expect(end.jobs).toHaveLength(1);
    expect(end.jobs[0]).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(end.jobs[0]?.plan).toHaveLength(13);
    expect(end.decodeErrors).toBe(0);
  });

  it('a live nix-build streamed into nix-log.sock as json-log-path (no `@nix `): the same statuses, a socket source', async () => {
    const d = await startDaemon();
    const socket = await logClient(d.dir);
    const build = buildDrv({ expr: GRAPH, args: { nonce: nonce() }, daemon: true, extraArgs: ['-v'] });
    let pending = '';
    build.child.stderr!.on('data', (chunk: Buffer) => {
      const text = pending + chunk.toString('utf8');
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      const records = lines.filter((l) => l.startsWith('@nix {')).map((l) => l.slice(5) + '\n').join('');
      if (records !== '') socket.write(records);
    });
    const mid = await waitForStatus(d.dir, (s) => s.derivations.some((x) => x.status === 'running'), 60_000, 'a running derivation', true);
    expect(mid.sources).toEqual([expect.objectContaining({ via: 'socket', uid: 0, user: 'root', pid: process.pid, status: 'running' })]);
    const result = await build.done;
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    await closeSocket(socket);
    const end = await finalStatus(d.dir);
    expect(end.derivations.map((x) => x.status)).toEqual(Array(13).fill('built'));
    expect(end.jobs[0]).toMatchObject({ via: 'socket', status: 'succeeded', exitCode: null });
    expect(end.decodeErrors).toBe(0);
  });

  it('a failure without --keep-going: libgamma failed (exit 2), running siblings cancelled, Nix’s exit code passed on', async () => {
    const d = await startDaemon();
    const result = await startRun(d.dir, graphBuild({ nonce: nonce(), fail: 'libgamma' })).done;
    // Through the daemon nix-build exits 1 for a failed build.
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/builder for '\/nix\/store\/[0-9a-z]{32}-libgamma-1\.4\.0\.drv' failed with exit code 2/);
    const end = await finalStatus(d.dir);
    expect(named(end, 'libgamma')).toMatchObject({ status: 'failed', exitCode: 2 });
    expect(end.jobs[0]).toMatchObject({ status: 'failed', exitCode: 1 });
    for (const x of end.derivations) {
      const want = outputsValid(x.drvPath) ? 'built' : pname(x) === 'libgamma' ? 'failed' : 'cancelled';
      expect(x.status, x.name).toBe(want);
    }
    // libalpha/libbeta/libdelta were running when libgamma failed: Nix killed them.
    const killed = end.derivations.filter((x) => x.status === 'cancelled' && x.durationMs !== null);
    expect(killed.length).toBeGreaterThanOrEqual(1);
    expect(named(end, 'release')?.status).toBe('cancelled');
  });

  it('the same failure with --keep-going: every derivation that does not need libgamma is built', async () => {
    const d = await startDaemon();
    const result = await startRun(d.dir, graphBuild({ nonce: nonce(), fail: 'libgamma' }, ['--keep-going'])).done;
    expect(result.code, result.stderr).toBe(1);
    const end = await finalStatus(d.dir);
    const needsGamma = ['svc-worker', 'bundle-server', 'release'];
    for (const x of end.derivations) {
      const want = pname(x) === 'libgamma' ? 'failed' : needsGamma.includes(pname(x)) ? 'cancelled' : 'built';
      expect(x.status, x.name).toBe(want);
      expect(outputsValid(x.drvPath), x.name).toBe(want === 'built');
    }
    expect(end.derivations.filter((x) => x.status === 'built')).toHaveLength(9);
    expect(named(end, 'libgamma')).toMatchObject({ status: 'failed', exitCode: 2 });
    expect(end.jobs[0]).toMatchObject({ status: 'failed', exitCode: 1 });
  });

  it('two clients on overlapping derivations: each built once, the second one waits on the first one’s locks, both succeed', async () => {
    const d = await startDaemon();
    const starts = new Map<string, number>();
    // Which client's log carried each build's start: the one holding that derivation's locks.
    const builtBy = new Map<string, string>();
    // BuildWaiting (111) records as they arrive, with what nix-btm's state said of that derivation right then.
    const waits: { source: string; name: string; status: string | undefined; jobs: readonly string[] }[] = [];
    const subscription: Subscription = await subscribe(d.paths.control, { onEvent: (e: BtmEvent) => {
      if (e.kind !== 'nix' || e.record.kind !== 'start') return;
      if (e.record.type === 105) {
        const drv = String(e.record.fields[0]);
        starts.set(drv, (starts.get(drv) ?? 0) + 1);
        builtBy.set(drv, e.source);
      }
      const path = e.record.type === 111 ? /'\/nix\/store\/[0-9a-z]{32}-([^']+)'/.exec(e.record.text)?.[1] : undefined;
      if (path !== undefined) {
        const drv = [...subscription.state.derivations.values()].find((x) => x.name === path);
        waits.push({ source: e.source, name: path, status: drv?.status, jobs: drv?.jobs ?? [] });
      }
    } });
    subscriptions.push(subscription);
    subscription.onReadable(() => subscription.poll());
    const n = nonce();
    const first = startRun(d.dir, graphBuild({ nonce: n, target: 'release' }));
    await new Promise((r) => setTimeout(r, 1000));
    const second = startRun(d.dir, graphBuild({ nonce: n, target: 'bundle-tools' }));
    const [r1, r2] = await Promise.all([first.done, second.done]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    const end = await finalStatus(d.dir);
    subscription.poll();
    expect(end.jobs.map((j) => j.status)).toEqual(['succeeded', 'succeeded']);
    expect(end.derivations).toHaveLength(13);
    expect(end.derivations.every((x) => x.status === 'built')).toBe(true);
    // Nix started each build once, whichever client asked.
    expect(starts.size).toBe(13);
    expect([...starts.values()].every((c) => c === 1)).toBe(true);
    const [job1, job2] = end.jobs;
    const shared = end.derivations.filter((x) => x.jobs.length === 2);
    expect(shared.map(pname).sort()).toEqual(['base', 'bundle-tools', 'docs', 'fonts', 'libalpha', 'libdelta', 'svc-cli']);
    expect(shared.every((x) => x.jobs.includes(job1!.source) && x.jobs.includes(job2!.source))).toBe(true);
    // A client waited for locks the other one held (mostly the second on the first, but the first can reach a shared
    // derivation the second started while the first was busy): nix-btm showed those derivations running (a derivation
    // another job builds stays 'running', never 'waiting') and already listed both jobs among those asking for it.
    expect(waits.length).toBeGreaterThanOrEqual(1);
    const builderOf = (name: string): string | undefined =>
      builtBy.get(end.derivations.find((x) => x.name === name)?.drvPath ?? '');
    for (const w of waits) {
      expect([job1!.source, job2!.source]).toContain(w.source);
      expect(shared.map((x) => x.name)).toContain(w.name);
      expect(builderOf(w.name)).toBeDefined();
      expect(builderOf(w.name)).not.toBe(w.source);
      expect(['running', 'built']).toContain(w.status);
      expect(w.jobs).toEqual(expect.arrayContaining([job1!.source, job2!.source]));
    }
  });

  it('an interrupted client: SIGINT to nix-btm run reaches nix-build; its running builds and its job end interrupted', async () => {
    const d = await startDaemon();
    const run = startRun(d.dir, graphBuild({ nonce: nonce() }));
    // Level 1 (libalpha, libbeta, libgamma, libdelta) runs 1-4 s after base and fonts.
    await waitForStatus(d.dir, (s) => s.derivations.filter((x) => x.status === 'running').length >= 2 &&
      s.derivations.some((x) => x.status === 'built'), 60_000, 'builds running after the roots', true);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(1);
    const end = await finalStatus(d.dir);
    expect(end.jobs[0]).toMatchObject({ status: 'interrupted', exitCode: 1 });
    expect(end.derivations.filter((x) => x.status === 'running')).toEqual([]);
    const interrupted = end.derivations.filter((x) => x.status === 'interrupted');
    expect(interrupted.filter((x) => x.durationMs !== null).length).toBeGreaterThanOrEqual(1);
    for (const x of end.derivations) {
      expect(x.status, x.name).toBe(outputsValid(x.drvPath) ? 'built' : 'interrupted');
    }
  });

  it('a subscription that joins mid-build ends with the same derivations as status --json', async () => {
    const d = await startDaemon();
    const run = startRun(d.dir, graphBuild({ nonce: nonce() }));
    await waitForStatus(d.dir, (s) => s.derivations.some((x) => x.status === 'built') &&
      s.derivations.some((x) => x.status === 'running'), 60_000, 'a build half done', true);
    const subscription = await subscribe(d.paths.control);
    subscriptions.push(subscription);
    subscription.onReadable(() => subscription.poll());
    expect(subscription.state.derivations.size).toBe(13);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    const end = await finalStatus(d.dir);
    // The collectors may still confirm outputs: compare once nothing changes any more.
    let mine: unknown = null;
    let theirs: unknown = null;
    for (let i = 0; i < 50; i++) {
      const doc = i === 0 ? end : status(d.dir);
      subscription.poll();
      mine = stateReport(subscription.state).derivations.map(({ durationMs: _d, logTail: _l, ...rest }) => rest);
      theirs = doc.derivations.map(({ durationMs: _d, logTail: _l, ...rest }) => rest);
      if (JSON.stringify(mine) === JSON.stringify(theirs)) break;
    }
    expect(mine).toEqual(theirs);
    expect(stateReport(subscription.state).derivations.map((x) => x.status)).toEqual(Array(13).fill('built'));
  });
});

/** Runs a control-socket signal request as the test user (its own connection, so SO_PEERCRED says who asks). */
function signalAsUser(control: string, req: object): { ok: boolean; reason?: string } {
  const client = join(root, 'dist/src/client/daemon-client.js');
  const script = `import(${JSON.stringify(client)}).then(async (m) => process.stdout.write(JSON.stringify(await m.sendSignal(${JSON.stringify(control)}, ${JSON.stringify(req)}))))`;
  const r = spawnSync('setpriv', [`--reuid=${TEST_USER}`, `--regid=${TEST_USER}`, '--init-groups', process.execPath, '-e', script],
    { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`signal request as ${TEST_USER} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ok: boolean; reason?: string };
}

describe('users and signal requests', () => {
  it(`${TEST_USER}: its source shows its uid; it may signal its own build, not root’s`, async () => {
    const d = await startDaemon({ group: 'nix-users' });
    const exprs = sharedDir();
    const rootExpr = writeExpr(join(exprs, 'root'), tinyExprSource('nix-btm-e2e-root', 60));
    const userExpr = writeExpr(join(exprs, 'user'), tinyExprSource('nix-btm-e2e-user', 60));
    const rootRun = startRun(d.dir, ['nix-build', rootExpr, '--argstr', 'nonce', nonce(), '--no-out-link']);
    const userRun = startRun(d.dir, ['nix-build', userExpr, '--argstr', 'nonce', nonce(), '--no-out-link'], { user: TEST_USER });
    const builderOf = (s: StatusDoc, name: string): ProcessDoc | undefined =>
      builders(s).find((p) => p.drvPath !== null && s.derivations.find((x) => x.drvPath === p.drvPath)?.name === name);
    const mid = await waitForStatus(d.dir, (s) => builderOf(s, 'nix-btm-e2e-root') !== undefined && builderOf(s, 'nix-btm-e2e-user') !== undefined,
      60_000, 'both builders');
    const uid = Number(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout.trim());
    const userSource = mid.sources.find((s) => s.uid === uid);
    expect(userSource).toMatchObject({ via: 'run', user: TEST_USER, status: 'running' });
    expect(mid.sources.find((s) => s.uid === 0)).toMatchObject({ via: 'run', user: 'root' });
    const userDrv = mid.derivations.find((x) => x.name === 'nix-btm-e2e-user');
    expect(userDrv?.jobs).toEqual([userSource!.source]);

    // The test user may read the daemon's state: status --json as that user.
    const asUser = spawnSync('setpriv', [`--reuid=${TEST_USER}`, `--regid=${TEST_USER}`, '--init-groups', process.execPath, BIN,
      'status', '--json', '--runtime-dir', d.dir], { encoding: 'utf8', timeout: 30_000 });
    expect(asUser.status, asUser.stderr).toBe(0);
    expect((JSON.parse(asUser.stdout) as StatusDoc).daemon.pid).toBe(d.pid);

    const rootBuilder = builderOf(mid, 'nix-btm-e2e-root')!;
    const refused = signalAsUser(d.paths.control, { target: 'build', pid: rootBuilder.pid, startedAt: rootBuilder.startedAt, signal: 'TERM' });
    expect(refused).toEqual({ ok: false, reason: `uid ${uid} may only signal its own processes and the builds of its own Nix clients` });
    expect(alive(rootBuilder.pid)).toBe(true);
    const ownBuilder = builderOf(mid, 'nix-btm-e2e-user')!;
    // SIGCONT: allowed, and harmless to the build.
    expect(signalAsUser(d.paths.control, { target: 'build', pid: ownBuilder.pid, startedAt: ownBuilder.startedAt, signal: 'CONT' }))
      .toEqual({ ok: true });
    const killed = signalAsUser(d.paths.control, { target: 'build', pid: ownBuilder.pid, startedAt: ownBuilder.startedAt, signal: 'TERM' });
    expect(killed).toEqual({ ok: true });
    const userResult = await userRun.done;
    expect(userResult.code).toBe(1);
    expect(alive(rootBuilder.pid)).toBe(true);
    const after = await waitForStatus(d.dir, (s) => s.derivations.find((x) => x.name === 'nix-btm-e2e-user')?.status === 'failed',
      30_000, "the user's build failed", true);
    expect(after.derivations.find((x) => x.name === 'nix-btm-e2e-root')?.status).toBe('running');
    rootRun.child.kill('SIGINT');
    expect((await rootRun.done).code).toBe(1);
  });

  it('root kills a sleeping builder through the control socket; a stale start time is refused', async () => {
    const d = await startDaemon();
    const expr = writeExpr(join(sharedDir(), 'sleeper'), tinyExprSource('nix-btm-e2e-sleeper', 60));
    const run = startRun(d.dir, ['nix-build', expr, '--argstr', 'nonce', nonce(), '--no-out-link']);
    const mid = await waitForStatus(d.dir, (s) => builders(s).some((p) => p.drvPath !== null), 60_000, 'the builder');
    const builder = builders(mid).find((p) => p.drvPath !== null)!;
    const drv = mid.derivations.find((x) => x.drvPath === builder.drvPath)!;
    expect(drv).toMatchObject({ name: 'nix-btm-e2e-sleeper', status: 'running' });
    // The detail pane's environment: the builder's own, read by the daemon, under the same rules as a signal.
    const env = await requestEnviron(d.paths.control, builder.pid, builder.startedAt);
    if (!env.ok) throw new Error(env.reason);
    const vars = new Map(env.environ);
    expect(vars.get('name')).toBe('nix-btm-e2e-sleeper');
    expect(vars.get('NIX_BUILD_TOP')).toMatch(/nix-build-nix-btm-e2e-sleeper\.drv-\d+$/);
    expect(vars.get('out')).toMatch(/^\/nix\/store\/[a-z0-9]{32}-nix-btm-e2e-sleeper$/);
    expect(await requestEnviron(d.paths.control, builder.pid, builder.startedAt - 60_000))
      .toEqual({ ok: false, reason: `pid ${builder.pid} is not the process you saw (its start time differs from the daemon's record)` });
    const group = mid.processes.filter((p) => p.drvPath === drv.drvPath).map((p) => p.pid);

    const stale = await sendSignal(d.paths.control, { target: 'build', pid: builder.pid, startedAt: builder.startedAt - 60_000, signal: 'TERM' });
    expect(stale).toEqual({ ok: false, reason: `pid ${builder.pid} is not the process you saw (its start time differs from the daemon's record)` });
    expect(alive(builder.pid)).toBe(true);

    expect(await sendSignal(d.paths.control, { target: 'build', pid: builder.pid, startedAt: builder.startedAt, signal: 'TERM' }))
      .toEqual({ ok: true });
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/nix-btm-e2e-sleeper\.drv' failed/);
    const end = await finalStatus(d.dir);
    expect(['failed', 'cancelled']).toContain(end.derivations.find((x) => x.drvPath === drv.drvPath)?.status);
    expect(end.jobs[0]).toMatchObject({ status: 'failed', exitCode: 1 });
    for (const pid of group) expect(alive(pid), `pid ${pid}`).toBe(false);
    expect(end.processes.some((p) => p.pid === builder.pid)).toBe(false);
  });
});
