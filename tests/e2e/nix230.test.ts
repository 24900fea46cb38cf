// The daemon against real Nix 2.30.5 writing to json-log-path (no `nix-btm run`): builds by root and by unprivileged
// users through `nix-daemon --daemon`, legacy nix-build and the new CLI, two users on shared derivations, a
// --keep-going failure, SIGINT, the daemon started after Nix created a regular file at the socket path, the daemon
// restarted mid-build. The store (/nix-new/store) is the judge of what was built.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hello } from '../../src/client/daemon-client.js';
import { pathsIn } from '../../src/protocol/paths.js';
import { OUR_VERSIONS } from '../../src/protocol/version.js';
import {
  BIN, nixBtm, sleep, startDaemon, status, stopAll, waitForStatus, within, type DerivationDoc, type StatusDoc,
} from './daemon-helpers.js';
import { nonce, waitFor } from './nix-harness.js';
import {
  EXPR_230, USER_A, USER_B, build230, ensureUser, exprDir, instantiate230, lockNixNew, outputsValid230, startNixNew,
  writeExpr230, type Lock, type NixNewDaemon,
} from './nix230-harness.js';

let lock: Lock;
let nixd: NixNewDaemon;
let dir: string;
let expr: string;

beforeAll(async () => {
  ensureUser(USER_A);
  ensureUser(USER_B);
  lock = await lockNixNew();
  // One runtime dir for the file: nix-new's json-log-path names its socket; each test starts its own nix-btm daemon.
  dir = mkdtempSync(join(tmpdir(), 'nix-btm-230-'));
  chmodSync(dir, 0o755);
  nixd = await startNixNew({ jsonLogPath: pathsIn(dir).nixLog });
  expr = writeExpr230(exprDir(), EXPR_230);
});
afterEach(async () => { await stopAll(); });
afterAll(async () => {
  await nixd?.stop();
  await lock?.release();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const pname = (d: { name: string }): string => d.name;
const named = (s: StatusDoc, name: string): DerivationDoc | undefined => s.derivations.find((d) => pname(d) === name);
const closed = (s: StatusDoc): boolean => s.jobs.length > 0 && s.jobs.every((j) => j.status !== 'running');
const statusOf = (s: StatusDoc, name: string): string | undefined => named(s, name)?.status;

async function settled(): Promise<StatusDoc> {
  return waitForStatus(dir, (s) => closed(s) && s.processes.every((p) => p.role !== 'builder'), 60_000, 'every job closed');
}

describe('Nix 2.30.5 json-log-path through nix-daemon --daemon', () => {
  it('root, legacy nix-build: only the worker streams; builders tied while running; built, as the store says', async () => {
    await startDaemon({ dir });
    const n = nonce();
    const b = build230({ expr, attr: 'graph', args: { nonce: n, sleep: '2' }, cli: 'nix-build', daemon: nixd, remote: true });
    const mid = await waitForStatus(dir, (s) => s.processes.some((p) => p.role === 'builder' && p.drvPath !== null
      && statusOf(s, s.derivations.find((d) => d.drvPath === p.drvPath)?.name ?? '') === 'running'), 60_000, 'a tied running builder');
    // The worker's stream (a uid-0 peer, owner.ts), attributed to its client: root's nix-build.
    expect(mid.sources.some((src) => src.via === 'socket' && src.uid === 0 && (src as { peer?: { uid: number } | null }).peer?.uid === 0
      && /nix-build/.test(src.command))).toBe(true);
    const r = await within(b.done, 120_000, 'nix-build');
    expect(r.code, r.stderr).toBe(0);
    const s = await settled();
    for (const name of ['btm230-leaf-a', 'btm230-leaf-b', 'btm230-top']) expect(statusOf(s, name), name).toBe('built');
    const top = named(s, 'btm230-top')!;
    expect(outputsValid230(top.drvPath)).toBe(true);
    // Once each: the legacy client never connects, so there is nothing to duplicate.
    expect(s.derivations.filter((d) => d.name === 'btm230-top')).toHaveLength(1);
  });

  it('root, new CLI `nix build`: the plan arrives, each derivation once, built', async () => {
    await startDaemon({ dir });
    const n = nonce();
    const b = build230({ expr, attr: 'graph', args: { nonce: n, sleep: '1' }, cli: 'nix build', daemon: nixd, remote: true });
    const r = await within(b.done, 120_000, 'nix build');
    expect(r.code, r.stderr).toBe(0);
    const s = await settled();
    const top = instantiate230(expr, { nonce: n, sleep: '1' }, 'graph');
    expect(s.derivations.filter((d) => d.drvPath === top)).toHaveLength(1);
    expect(s.derivations.find((d) => d.drvPath === top)?.status).toBe('built');
    expect(outputsValid230(top)).toBe(true);
    // The new CLI itself connects (its own argv); only it carries the plan.
    expect(s.sources.some((src) => /\/nix build/.test(src.command))).toBe(true);
    expect(s.jobs.some((j) => j.plan.includes(top))).toBe(true);
  });

  it(`${USER_A} through the daemon, nix-build and nix build: built; the store agrees`, async () => {
    await startDaemon({ dir });
    for (const cli of ['nix-build', 'nix build'] as const) {
      const n = nonce();
      const b = build230({ expr, attr: 'leafA', args: { nonce: n, sleep: '0' }, cli, daemon: nixd, user: USER_A });
      const r = await within(b.done, 120_000, cli);
      expect(r.code, `${cli}: ${r.stderr}`).toBe(0);
      const drv = instantiate230(expr, { nonce: n, sleep: '0' }, 'leafA');
      const s = await waitForStatus(dir, (x) => x.derivations.some((d) => d.drvPath === drv && d.status === 'built'), 30_000, `${cli} built`);
      expect(s.derivations.filter((d) => d.drvPath === drv)).toHaveLength(1);
      expect(outputsValid230(drv)).toBe(true);
    }
  });

  // Needs the trust-authz branch (worker -> client pid -> uid): every worker connects as uid 0.
  it(`attribution: ${USER_A}'s legacy nix-build through a uid-0 worker shows as ${USER_A}'s job (trust-authz)`, async () => {
    await startDaemon({ dir });
    const n = nonce();
    const b = build230({ expr, attr: 'leafB', args: { nonce: n, sleep: '0' }, cli: 'nix-build', daemon: nixd, user: USER_A });
    expect((await within(b.done, 120_000, 'nix-build')).code).toBe(0);
    const drv = instantiate230(expr, { nonce: n, sleep: '0' }, 'leafB');
    const s = await waitForStatus(dir, (x) => x.derivations.some((d) => d.drvPath === drv && d.status === 'built'), 30_000, 'built');
    const jobs = s.jobs.filter((j) => s.derivations.find((d) => d.drvPath === drv)?.jobs.includes(j.source));
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.every((j) => j.user === USER_A)).toBe(true);
  });

  it(`two users, one name, two derivations, the daemon reading no .drv of this store: each builder tied to its own worker's build`, async () => {
    // The daemon is not told of /nix-new/store: no .drv, no outputs; only the worker each builder runs under (its
    // parent, the stream's SO_PEERCRED pid) tells the two same-name builds apart.
    await startDaemon({ dir, storeDirs: ['/nix/store'] });
    const args = (who: string): Record<string, string> => ({ nonce: `${who}-${nonce()}`, sleep: '8' });
    const argsA = args('a');
    const argsB = args('b');
    const a = build230({ expr, attr: 'leafB', args: argsA, cli: 'nix-build', daemon: nixd, user: USER_A });
    const b = build230({ expr, attr: 'leafB', args: argsB, cli: 'nix-build', daemon: nixd, user: USER_B });
    const drvA = instantiate230(expr, argsA, 'leafB');
    const drvB = instantiate230(expr, argsB, 'leafB');
    expect(drvA).not.toBe(drvB);
    const mid = await waitForStatus(dir, (x) => [drvA, drvB].every((p) => x.processes.some((q) => q.role === 'builder' && q.drvPath === p)),
      60_000, 'both builders tied');
    const userOf = (drvPath: string): (string | null)[] => mid.jobs.filter((j) => mid.derivations.find((d) => d.drvPath === drvPath)?.jobs.includes(j.source)).map((j) => j.user);
    expect(userOf(drvA)).toEqual([USER_A]);
    expect(userOf(drvB)).toEqual([USER_B]);
    // Each builder is the one whose environment names its own nonce.
    for (const [drv, want] of [[drvA, argsA.nonce], [drvB, argsB.nonce]] as const) {
      const builder = mid.processes.find((q) => q.role === 'builder' && q.drvPath === drv)!;
      const env = execFileSync('cat', [`/proc/${builder.pid}/environ`], { encoding: 'utf8' }).split('\0');
      expect(env).toContain(`nonce=${want}`);
    }
    const [ra, rb] = await within(Promise.all([a.done, b.done]), 120_000, 'both builds');
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
  });

  it('two users on overlapping derivations: the shared one built once, both jobs succeed', async () => {
    await startDaemon({ dir });
    const n = nonce();
    const args = { nonce: n, sleep: '3' };
    const a = build230({ expr, attr: 'onlyA', args, cli: 'nix-build', daemon: nixd, user: USER_A });
    const b = build230({ expr, attr: 'onlyB', args, cli: 'nix build', daemon: nixd, user: USER_B });
    const [ra, rb] = await within(Promise.all([a.done, b.done]), 120_000, 'both builds');
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const s = await settled();
    const shared = instantiate230(expr, args, 'shared');
    expect(s.derivations.filter((d) => d.drvPath === shared)).toHaveLength(1);
    for (const name of ['btm230-shared', 'btm230-only-a', 'btm230-only-b']) expect(statusOf(s, name), name).toBe('built');
    expect(outputsValid230(shared)).toBe(true);
    expect(s.jobs.filter((j) => j.status === 'failed' || j.status === 'interrupted')).toEqual([]);
  });

  it('--keep-going: bad failed with exit code 3, good built, needs-bad never started, the job failed', async () => {
    // At the default refresh the store's check of the ended build comes before local-builds' verdict (4 scans).
    await startDaemon({ dir, refreshMs: 1000 });
    const n = nonce();
    const b = build230({ expr, attr: 'failing', args: { nonce: n, sleep: '2' }, cli: 'nix-build', daemon: nixd, remote: true, keepGoing: true });
    const r = await within(b.done, 120_000, 'nix-build --keep-going');
    expect(r.code).not.toBe(0);
    const s = await settled();
    expect(named(s, 'btm230-bad')?.status).toBe('failed');
    expect(named(s, 'btm230-bad')?.exitCode).toBe(3);
    expect(statusOf(s, 'btm230-good')).toBe('built');
    expect(outputsValid230(named(s, 'btm230-good')!.drvPath)).toBe(true);
    expect(outputsValid230(named(s, 'btm230-bad')!.drvPath)).toBe(false);
    // Never started: Nix names it only in "N dependencies of derivation ... failed to build" (if at all).
    const nb = named(s, 'btm230-needs-bad');
    if (nb) expect(['cancelled', 'planned']).toContain(nb.status);
    expect(s.jobs.some((j) => j.status === 'failed')).toBe(true);
  });

  it('a legacy nix-build wider than max-jobs: its job counts all 14 builds from the first one on, not only those started', async () => {
    await startDaemon({ dir });
    const n = nonce();
    const b = build230({ expr, attr: 'wide', args: { nonce: n, sleep: '1' }, cli: 'nix-build', daemon: nixd, remote: true, keepGoing: true });
    type Counts = { planned: number; built: number; failed: number; cancelled: number; remaining: number };
    const countsOf = (s: StatusDoc): Counts | undefined => (s.jobs[0] as { counts?: Counts } | undefined)?.counts;
    // Two builds running at a time: the worker has named only those it started, Nix's counters say 14.
    const mid = await waitForStatus(dir, (s) => s.jobs[0]?.status === 'running' && s.derivations.some((d) => d.status === 'running'),
      60_000, 'a running build');
    expect(countsOf(mid)).toMatchObject({ planned: 14 });
    expect(countsOf(mid)!.remaining).toBeGreaterThan(2);
    const r = await within(b.done, 120_000, 'nix-build -A wide');
    expect(r.code).not.toBe(0);
    const s = await settled();
    // wide-top never started (bad failed): Nix never named it, so it counts as cancelled.
    expect(countsOf(s)).toMatchObject({ planned: 14, built: 12, failed: 1, cancelled: 1, remaining: 0 });
    expect(s.derivations.filter((d) => d.status === 'built').every((d) => outputsValid230(d.drvPath))).toBe(true);
  });

  it('SIGINT of the client: no stop records; its running build ends interrupted, never built', async () => {
    await startDaemon({ dir });
    const n = nonce();
    const b = build230({ expr, attr: 'slow', args: { nonce: n, sleep: '30' }, cli: 'nix build', daemon: nixd, remote: true });
    const drv = instantiate230(expr, { nonce: n, sleep: '30' }, 'slow');
    await waitForStatus(dir, (s) => s.derivations.some((d) => d.drvPath === drv && d.status === 'running'), 60_000, 'slow running');
    b.child.kill('SIGINT');
    const r = await within(b.done, 30_000, 'interrupted nix build');
    expect(r.code).not.toBe(0);
    const s = await waitForStatus(dir, (x) => closed(x), 30_000, 'jobs closed');
    expect(s.derivations.find((d) => d.drvPath === drv)?.status).toBe('interrupted');
    expect(outputsValid230(drv)).toBe(false);
  });
});

describe('a build no stream reports: root on the local store', () => {
  it('running builder tied to its drv from /proc and the .drv files, the job "a local build by root, pid N", built by the store', async () => {
    await startDaemon({ dir });
    const n = nonce();
    const args = { nonce: n, sleep: '4' };
    const b = build230({ expr, attr: 'slow', args, cli: 'nix-build', daemon: nixd, remote: false });
    const drv = instantiate230(expr, args, 'slow');
    const mid = await waitForStatus(dir, (s) => s.processes.some((p) => p.role === 'builder' && p.drvPath === drv)
      && s.derivations.some((d) => d.drvPath === drv && d.status === 'running'), 60_000, 'the local builder tied', false, { local: true });
    const job = mid.sources.find((x) => x.via === 'local' && x.pid === b.child.pid);
    expect(job?.command).toMatch(new RegExp(`^a local build by root, pid ${b.child.pid}, command .*nix-build`));
    expect(job?.uid).toBe(0);
    // Nothing else reported it: the legacy client on the local store never opens json-log-path.
    expect(mid.sources.filter((x) => x.via === 'socket')).toEqual([]);
    const r = await within(b.done, 60_000, 'local nix-build');
    expect(r.code, r.stderr).toBe(0);
    const s = await waitForStatus(dir, (x) => x.derivations.some((d) => d.drvPath === drv && d.status === 'built')
      && x.jobs.some((j) => j.pid === b.child.pid && j.status !== 'running'), 30_000, 'built and the job closed', false, { local: true });
    expect(s.derivations.find((d) => d.drvPath === drv)?.confirmed).toBe(true);
    expect(outputsValid230(drv)).toBe(true);
  });

  it('a failing local build: failed, its outputs absent from the store', async () => {
    await startDaemon({ dir });
    const n = nonce();
    const b = build230({ expr, attr: 'bad', args: { nonce: n }, cli: 'nix-build', daemon: nixd, remote: false });
    const drv = instantiate230(expr, { nonce: n }, 'bad');
    // Its builder lives about a second: long enough for the scans to see it, not always to show it running.
    expect((await within(b.done, 60_000, 'failing local build')).code).not.toBe(0);
    const s = await waitForStatus(dir, (x) => x.derivations.some((d) => d.drvPath === drv && d.status === 'failed'), 30_000, 'failed', false, { local: true });
    expect(s.derivations.find((d) => d.drvPath === drv)?.reason).toMatch(/outputs are not in the store/);
    expect(outputsValid230(drv)).toBe(false);
  });
});

describe('a short build no stream reports', () => {
  it('a local --keep-going build: the failing builder ends failed (the store\'s word), not interrupted; the job failed', async () => {
    // At the default refresh the store's check of the ended build comes before local-builds' verdict (4 scans).
    await startDaemon({ dir, refreshMs: 1000 });
    const n = nonce();
    const b = build230({ expr, attr: 'failing', args: { nonce: n, sleep: '3' }, cli: 'nix-build', daemon: nixd, remote: false, keepGoing: true });
    const bad = instantiate230(expr, { nonce: n, sleep: '3' }, 'bad');
    const good = instantiate230(expr, { nonce: n, sleep: '3' }, 'good');
    expect((await within(b.done, 60_000, 'local nix-build --keep-going')).code).not.toBe(0);
    const s = await waitForStatus(dir, (x) => x.jobs.some((j) => j.pid === b.child.pid && j.status !== 'running')
      && x.derivations.some((d) => d.drvPath === good && d.status === 'built'), 30_000, 'the local job closed', false, { local: true });
    expect(s.derivations.find((d) => d.drvPath === bad)).toMatchObject({ status: 'failed', basis: 'store' });
    expect(s.jobs.find((j) => j.pid === b.child.pid)?.status).toBe('failed');
    expect(outputsValid230(bad)).toBe(false);
  });

  it('a local build failing 2 s in, at the default 1 s refresh: seen, a job of its own, failed', async () => {
    // The legacy client on the local store has no stream: its builder is looked up at first sight, not after the
    // scans a stream's late Build record gets (which would outlast this builder).
    await startDaemon({ dir, refreshMs: 1000 });
    const n = nonce();
    const b = build230({ expr, attr: 'badSoon', args: { nonce: n }, cli: 'nix-build', daemon: nixd, remote: false });
    const drv = instantiate230(expr, { nonce: n }, 'badSoon');
    expect((await within(b.done, 60_000, 'failing local build')).code).not.toBe(0);
    const s = await waitForStatus(dir, (x) => x.derivations.some((d) => d.drvPath === drv && d.status === 'failed')
      && x.jobs.some((j) => j.pid === b.child.pid && j.status !== 'running'), 30_000, 'failed, its job closed', false, { local: true });
    expect(s.jobs.find((j) => j.pid === b.child.pid)).toMatchObject({ via: 'local', status: 'failed' });
    expect(outputsValid230(drv)).toBe(false);
  });
});

describe('the log socket across daemon stops', () => {
  it('Nix wrote a regular file while no daemon ran: the daemon takes it over, shows those builds and says so', async () => {
    const sock = pathsIn(dir).nixLog;
    rmSync(sock, { force: true });
    const n = nonce();
    const b = build230({ expr, attr: 'leafB', args: { nonce: n, sleep: '0' }, cli: 'nix-build', daemon: nixd, remote: true });
    const r = await within(b.done, 120_000, 'build with no daemon');
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(sock).isFile()).toBe(true);
    const d = await startDaemon({ dir });
    expect(statSync(sock).isSocket()).toBe(true);
    const drv = instantiate230(expr, { nonce: n, sleep: '0' }, 'leafB');
    const s = await waitForStatus(dir, (x) => x.derivations.some((y) => y.drvPath === drv && y.status === 'built'), 30_000, 'the left build');
    const src = s.sources.find((x) => x.via === 'left-file');
    expect(src?.command).toMatch(/from the log file left at .* while no daemon ran/);
    expect((s.daemon as { leftFile?: { bytes: number } }).leftFile?.bytes).toBeGreaterThan(0);
    expect(nixBtm(['status', '--runtime-dir', d.dir]).stdout).toMatch(/took over a regular file of \d+ bytes/);
    // And the socket works for the next build.
    const n2 = nonce();
    const b2 = build230({ expr, attr: 'leafB', args: { nonce: n2, sleep: '0' }, cli: 'nix-build', daemon: nixd, remote: true });
    expect((await within(b2.done, 120_000, 'second build')).code).toBe(0);
    const drv2 = instantiate230(expr, { nonce: n2, sleep: '0' }, 'leafB');
    await waitForStatus(dir, (x) => x.derivations.some((y) => y.drvPath === drv2 && y.status === 'built'), 30_000, 'built over the socket');
  });

  it('the daemon restarted mid-build: Nix goes on, the build succeeds, the new daemon sees later builds', async () => {
    let d = await startDaemon({ dir });
    const n = nonce();
    const b = build230({ expr, attr: 'slow', args: { nonce: n, sleep: '6', lines: '200' }, cli: 'nix-build', daemon: nixd, remote: true });
    const drv = instantiate230(expr, { nonce: n, sleep: '6', lines: '200' }, 'slow');
    await waitForStatus(dir, (s) => s.derivations.some((x) => x.drvPath === drv && x.status === 'running'), 60_000, 'slow running');
    await d.stop();
    await sleep(500);
    d = await startDaemon({ dir });
    const r = await within(b.done, 60_000, 'build across the restart');
    expect(r.code, r.stderr).toBe(0);
    expect(outputsValid230(drv)).toBe(true);
    const n2 = nonce();
    const b2 = build230({ expr, attr: 'leafA', args: { nonce: n2, sleep: '0' }, cli: 'nix-build', daemon: nixd, remote: true });
    expect((await within(b2.done, 60_000, 'build after restart')).code).toBe(0);
    const drv2 = instantiate230(expr, { nonce: n2, sleep: '0' }, 'leafA');
    await waitForStatus(dir, (x) => x.derivations.some((y) => y.drvPath === drv2 && y.status === 'built'), 30_000, 'built after the restart');
    expect(status(d.dir).daemon.pid).toBe(d.pid);
  });
});

/** A raw json-log-path client writing log lines of one fake build as fast as the daemon takes them, until stopped. */
function flood(sockPath: string): { stop(): Promise<number> } {
  let running = true;
  let bytes = 0;
  const done = (async () => {
    const s = await new Promise<Socket>((resolve, reject) => {
      const c = connect(sockPath);
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    });
    s.on('error', () => undefined);
    const drv = '/nix-new/store/00000000000000000000000000000000-btm230-flood.drv';
    await new Promise<void>((r) => s.write(`{"action":"start","id":7,"level":3,"parent":0,"text":"building flood","type":105,"fields":["${drv}","",1,1]}\n`, () => r()));
    const line = `{"action":"result","fields":["${'x'.repeat(80)}"],"id":7,"type":101}\n`;
    const block = Buffer.from(line.repeat(800));
    while (running) {
      bytes += block.length;
      if (!s.write(block)) await new Promise((r) => s.once('drain', r));
      // 'drain' of a write the kernel took at once comes on the next tick: leave this test's own loop a turn.
      await new Promise((r) => setImmediate(r));
    }
    s.destroy();
  })();
  return { stop: async () => { running = false; await done; return bytes; } };
}

const tmuxRun = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });

describe('Nix is never held up by the daemon', () => {
  it('a UI SIGSTOPped mid-build (and a hello never read): a build writing 3,000 log lines goes through', async () => {
    await startDaemon({ dir });
    const session = `btm230-${process.pid}`;
    tmuxRun('new-session', '-d', '-s', session, '-x', '120', '-y', '30', `exec env -u CI ${process.execPath} ${BIN} --runtime-dir ${dir}`);
    try {
      const uiPid = Number(tmuxRun('display-message', '-p', '-t', session, '#{pane_pid}').trim());
      await waitFor(() => /Jobs|Process|Builder/.test(tmuxRun('capture-pane', '-p', '-t', session)), 20_000, 'the UI on screen');
      process.kill(uiPid, 'SIGSTOP');
      // A client that asks for a snapshot and never reads it.
      const stuck = connect(pathsIn(dir).control);
      stuck.on('error', () => undefined);
      stuck.write(JSON.stringify({ op: 'hello', ...OUR_VERSIONS }) + '\n');
      stuck.pause();
      const n = nonce();
      const args = { nonce: n, sleep: '1', lines: '3000' };
      const b = build230({ expr, attr: 'slow', args, cli: 'nix-build', daemon: nixd, remote: true });
      const r = await within(b.done, 120_000, 'the build while the UI is stopped');
      expect(r.code, r.stderr).toBe(0);
      const drv = instantiate230(expr, args, 'slow');
      const s = await waitForStatus(dir, (x) => x.derivations.some((y) => y.drvPath === drv && y.status === 'built'), 30_000, 'built');
      expect(s.derivations.find((y) => y.drvPath === drv)?.logTail.at(-1)).toBe('btm230-slow line 3000 of 3000');
      stuck.destroy();
      process.kill(uiPid, 'SIGCONT');
    } finally {
      try { tmuxRun('kill-session', '-t', session); } catch { /* gone */ }
    }
  });

  it('a flood on another connection: a real build still streams every line and is built, and UIs are answered, while it floods', async () => {
    await startDaemon({ dir });
    const f = flood(pathsIn(dir).nixLog);
    try {
      await sleep(500);
      const n = nonce();
      const args = { nonce: n, sleep: '1', lines: '3000' };
      const b = build230({ expr, attr: 'slow', args, cli: 'nix build', daemon: nixd, remote: true });
      const r = await within(b.done, 120_000, 'the build during a flood');
      expect(r.code, r.stderr).toBe(0);
      const drv = instantiate230(expr, args, 'slow');
      // The flood goes on: the build's lines do not wait behind its whole backlog (the two connections of a `nix build`
      // are each handled in order, taking turns with the flood), and status (a hello) is answered.
      const last = 'btm230-slow line 3000 of 3000';
      const s = await waitForStatus(dir, (x) => x.derivations.some((y) => y.drvPath === drv && y.status === 'built' && y.logTail.at(-1) === last),
        60_000, 'built, with its last line, during the flood');
      expect(s.derivations.find((y) => y.drvPath === drv)?.logTail.at(-1)).toBe(last);
      const h = await within(hello(pathsIn(dir).control, 30_000), 35_000, 'a hello during the flood');
      expect(h.state.derivations.has(drv)).toBe(true);
    } finally {
      expect(await f.stop()).toBeGreaterThan(1_000_000);
    }
  });
});
