// Attacks on the root daemon's authorization, performed for real: unprivileged users created here (btm-authz-a the
// attacker, btm-authz-b the victim, both members of the daemon's --group), a real daemon in its own runtime dir, real
// Nix 2.8 builds through the running nix-daemon. Each attack must fail safely while the builds keep being shown.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chmodSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hello } from '../../src/client/daemon-client.js';
import { shownJobs } from '../../src/state/selectors.js';
import { jobRows } from '../../src/ui/rows-jobs.js';
import { alive, freshDir, sleep, startDaemon, startRun, status, stopAll, waitForStatus, type ProcessDoc, type StatusDoc } from './daemon-helpers.js';
import { agent, agentFiles, agentInBackground, asUserArgv, ensureUsers, GROUP, procState, removeAgentFiles, secretExprSource, type TestUser } from './authz-helpers.js';
import { nixAvailable, nonce, writeExpr } from './nix-harness.js';
import { processStartedAt } from '../../src/ingest/proc-time.js';

let attacker: TestUser;
let victim: TestUser;

beforeAll(() => {
  nixAvailable();
  [attacker, victim] = ensureUsers('btm-authz-a', 'btm-authz-b') as [TestUser, TestUser];
});
afterEach(stopAll);
afterAll(removeAgentFiles);

const builderOf = (s: StatusDoc, name: string): ProcessDoc | undefined => s.processes.find((p) =>
  p.role === 'builder' && p.drvPath !== null && s.derivations.find((d) => d.drvPath === p.drvPath)?.name === name);

function exprDir(): string {
  const dir = freshDir('btm-authz-expr-');
  chmodSync(dir, 0o755);
  return dir;
}

const REFUSED_OWNER = (uid: number): string => `uid ${uid} may only signal its own processes and the builds of its own Nix clients`;

describe('a group member against other users and root', () => {
  it("cannot make root signal root's processes by naming them as its feed's pid (STOP, KILL on a root process and root's nix-build)", async () => {
    const d = await startDaemon({ group: GROUP });
    const rootExpr = writeExpr(join(exprDir(), 'root'), secretExprSource('btm-authz-root', 120));
    const rootRun = startRun(d.dir, ['nix-build', rootExpr, '--argstr', 'nonce', nonce(), '--no-out-link']);
    const rootSleep = spawn('sleep', ['300'], { stdio: 'ignore', detached: true });
    try {
      const mid = await waitForStatus(d.dir, (s) => builderOf(s, 'btm-authz-root') !== undefined, 60_000, "root's builder");
      const rootClient = mid.processes.find((p) => p.role === 'client' && p.uid === 0 && p.command.startsWith('nix-build'))!;
      expect(rootClient).toBeDefined();
      for (const target of [{ pid: rootSleep.pid!, startedAt: processStartedAt(rootSleep.pid!)! }, rootClient]) {
        // The feed claims the root process as "its" Nix client: the daemon checks /proc and keeps the peer's own pid.
        const feed = agent(attacker.name, d.paths.control, [{ op: 'feed', command: 'nix-build evil.nix', pid: target.pid },
          { line: '@nix {"action":"msg","level":0,"msg":"hello"}' }, { exit: 0 }], 1);
        expect(feed.replies[0]).toMatchObject({ ok: true, op: 'feed' });
        const s = await waitForStatus(d.dir, (x) => x.sources.some((src) => src.source.startsWith(`run:${feed.pid}:`)), 10_000, "the attacker's feed", true);
        expect(s.sources.find((src) => src.source.startsWith(`run:${feed.pid}:`))).toMatchObject({ pid: feed.pid, uid: attacker.uid });
        expect(s.sources.filter((src) => src.pid === target.pid && src.uid === attacker.uid)).toEqual([]);
        for (const signal of ['STOP', 'KILL']) {
          const r = agent(attacker.name, d.paths.control, [{ op: 'signal', target: 'job', pid: target.pid, startedAt: target.startedAt, signal }], 1);
          expect(r.replies[0]?.ok, JSON.stringify(r.replies[0])).toBe(false);
        }
        expect(alive(target.pid)).toBe(true);
        expect(procState(target.pid)).not.toBe('T');
      }
      expect(alive(builderOf(mid, 'btm-authz-root')!.pid)).toBe(true);
    } finally {
      rootSleep.kill('SIGKILL');
      rootRun.child.kill('SIGINT');
      await rootRun.done;
    }
  });

  it("cannot read another user's builder environment or signal their build by mentioning their .drv, on a feed or on the log socket", async () => {
    const d = await startDaemon({ group: GROUP });
    const dir = exprDir();
    const victimExpr = writeExpr(join(dir, 'victim'), secretExprSource('btm-authz-victim', 120));
    const run = startRun(d.dir, ['nix-build', victimExpr, '--argstr', 'nonce', nonce(), '--no-out-link'], { user: victim.name });
    try {
      const mid = await waitForStatus(d.dir, (s) => builderOf(s, 'btm-authz-victim') !== undefined, 60_000, "the victim's builder");
      const builder = builderOf(mid, 'btm-authz-victim')!;
      const drvPath = builder.drvPath!;
      // The attacker claims the derivation: a Build activity naming it on the log socket, and the same on a feed.
      const build = { action: 'start', id: 7, level: 0, type: 105, text: `building '${drvPath}'`, parent: 0, fields: [drvPath, '', 1, 1] };
      agent(attacker.name, d.paths.nixLog, [build], 0, 200);
      agent(attacker.name, d.paths.control, [{ op: 'feed', command: 'nix-build', pid: null }, { line: `@nix ${JSON.stringify(build)}` }, { exit: null }], 1);
      const claimed = await waitForStatus(d.dir, (s) => s.sources.filter((x) => x.uid === attacker.uid).length === 2, 10_000, 'both claims', true);
      expect(claimed.sources.filter((x) => x.uid === attacker.uid).map((x) => x.via).sort()).toEqual(['run', 'socket']);

      const asked = agent(attacker.name, d.paths.control, [{ op: 'environ', pid: builder.pid, startedAt: builder.startedAt }], 1);
      expect(asked.replies[0]).toEqual({ ok: false, op: 'environ', reason: REFUSED_OWNER(attacker.uid) });
      expect(JSON.stringify(asked)).not.toContain('s3cret-');
      for (const target of ['build', 'process']) {
        const r = agent(attacker.name, d.paths.control, [{ op: 'signal', target, pid: builder.pid, startedAt: builder.startedAt, signal: 'STOP' }], 1);
        expect(r.replies[0]).toEqual({ ok: false, op: 'signal', reason: REFUSED_OWNER(attacker.uid) });
      }
      expect(procState(builder.pid)).not.toBe('T');

      // The victim itself (the client behind the daemon worker that runs the builder) may do both.
      const own = agent(victim.name, d.paths.control, [{ op: 'environ', pid: builder.pid, startedAt: builder.startedAt }], 1);
      expect(own.replies[0]?.ok).toBe(true);
      expect(new Map(own.replies[0]!.environ as [string, string][]).get('secret')).toMatch(/^s3cret-/);
      const cont = agent(victim.name, d.paths.control, [{ op: 'signal', target: 'build', pid: builder.pid, startedAt: builder.startedAt, signal: 'CONT' }], 1);
      expect(cont.replies[0]).toEqual({ ok: true, op: 'signal' });
      expect((await status(d.dir)).derivations.find((x) => x.drvPath === drvPath)?.status).toBe('running');
    } finally {
      run.child.kill('SIGINT');
      await run.done;
    }
  });

  it('a recycled pid: its own process exits, a root process takes the pid before the next scan; nothing is sent to it', async () => {
    const { fakeClient } = agentFiles();
    // Started before the daemon, so the daemon's only scan (refresh: one hour) records it as the attacker's Nix client.
    const argv = asUserArgv(attacker.name, [fakeClient, '600']);
    const own = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    await sleep(300);
    const d = await startDaemon({ group: GROUP, refreshMs: 3_600_000 });
    const scanned = (await status(d.dir)).processes.find((p) => p.uid === attacker.uid && p.command.startsWith(fakeClient));
    expect(scanned, 'the scan saw the attacker’s process').toBeDefined();
    const pid = scanned!.pid;
    // Authorised while it is the attacker's own: SIGCONT is harmless.
    expect(agent(attacker.name, d.paths.control, [{ op: 'signal', target: 'process', pid, startedAt: scanned!.startedAt, signal: 'CONT' }], 1)
      .replies[0]).toEqual({ ok: true, op: 'signal' });
    own.kill('SIGKILL');
    await new Promise((r) => own.once('exit', r));
    const reused = await takePid(pid);
    try {
      expect(reused.pid).toBe(pid);
      const live = processStartedAt(pid)!;
      for (const startedAt of [scanned!.startedAt, live, undefined, String(scanned!.startedAt)]) {
        const r = agent(attacker.name, d.paths.control, [{ op: 'signal', target: 'process', pid, startedAt, signal: 'KILL' }], 1);
        expect(r.replies[0]?.ok, `startedAt ${String(startedAt)}: ${JSON.stringify(r.replies[0])}`).toBe(false);
      }
      // Even root's own UI, with the stale record, does not hit the new process.
      const rootTry = agent('root', d.paths.control, [{ op: 'signal', target: 'process', pid, startedAt: scanned!.startedAt, signal: 'KILL' }], 1);
      expect(rootTry.replies[0]).toEqual({ ok: false, op: 'signal', reason: `pid ${pid} is now a different process (start time changed)` });
      expect(alive(pid)).toBe(true);
    } finally {
      reused.kill('SIGKILL');
    }
  });
});

describe('a job whose pid was reused', () => {
  it("root's K on an attacker's job never reaches the other user's process that took the job's pid over", async () => {
    const d = await startDaemon({ group: GROUP });
    const { dir, fakeClient } = agentFiles();
    // The attacker's process P opens a log connection, starts a build, hands the socket to a child and exits: the job
    // stays open under pid P, which is free for the next process on the machine.
    const handoff = join(dir, `handoff-${process.pid}.mjs`);
    writeFileSync(handoff, `import { connect } from 'node:net';
import { spawn } from 'node:child_process';
const s = connect(process.argv[2], () => {
  s.write(JSON.stringify({ action: 'start', id: 1, level: 0, type: 105, text: 'building', parent: 0,
    fields: ['/nix/store/00000000000000000000000000000000-btm-authz-reuse.drv', '', 1, 1] }) + '\\n', () => {
    spawn('/bin/sleep', ['120'], { stdio: ['ignore', 'ignore', 'ignore', s._handle.fd], detached: true }).unref();
    process.stdout.write(String(process.pid) + '\\n');
    process.exit(0);
  });
});
`, { mode: 0o644 });
    const argv = asUserArgv(attacker.name, [process.execPath, handoff, d.paths.nixLog]);
    const first = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    first.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
    await new Promise((r) => first.once('exit', r));
    const pid = Number(out.trim());
    expect(pid).toBeGreaterThan(1);
    await waitForStatus(d.dir, (s) => s.sources.some((x) => x.uid === attacker.uid && x.pid === pid && x.status === 'running'), 20_000, "the attacker's job", true);
    // The victim's next Nix process gets pid P (the attacker cycles pids to arrange it; here ns_last_pid does it).
    let victimProc: ReturnType<typeof spawn> | null = null;
    for (let attempt = 0; attempt < 50 && victimProc === null; attempt++) {
      writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
      const v = spawn(...splitArgv(asUserArgv(victim.name, [fakeClient, '120'])), { stdio: 'ignore' });
      if (v.pid === pid) victimProc = v; else { v.kill('SIGKILL'); await sleep(20); }
    }
    expect(victimProc, `pid ${pid} taken by the victim`).not.toBeNull();
    try {
      const seen = await waitForStatus(d.dir, (s) => s.processes.some((p) => p.pid === pid && p.role === 'client' && p.uid === victim.uid), 20_000, 'the victim in the scan', true);
      const victimStart = seen.processes.find((p) => p.pid === pid)!.startedAt;
      // The Jobs view offers no client of the attacker's job to signal (it showed the victim's process before).
      const { state } = await hello(d.paths.control);
      const job = [...state.jobs.values()].find((j) => j.info.uid === attacker.uid && j.info.pid === pid)!;
      const row = jobRows(state, { filter: '', sort: { column: 0, desc: false } }).find((r) => r.key === `j:${job.source}`);
      expect(row?.targets?.job).toBeUndefined();
      // Root naming the victim's process as that job's (what the old UI sent): refused by the daemon too.
      const r = agent('root', d.paths.control, [{ op: 'signal', target: 'job', pid, startedAt: victimStart, signal: 'TERM' }], 1);
      expect(r.replies[0]).toMatchObject({ ok: false, reason: expect.stringMatching(/pid was reused/) });
      expect(alive(pid)).toBe(true);
    } finally {
      victimProc?.kill('SIGKILL');
      try { process.kill(-pid, 'SIGKILL'); } catch { /* its session's holder */ }
    }
  });
});

const splitArgv = (argv: readonly string[]): [string, string[]] => [argv[0]!, argv.slice(1)];

/** A root process with exactly this pid (ns_last_pid), retried while something else on the machine wins the race. */
async function takePid(pid: number): Promise<ReturnType<typeof spawn>> {
  for (let attempt = 0; attempt < 50; attempt++) {
    writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    if (child.pid === pid) return child;
    child.kill('SIGKILL');
    await sleep(20);
  }
  throw new Error(`could not get pid ${pid} back for a root process`);
}

describe('what a peer says about itself', () => {
  it("a process named nix-daemon is shown with its uid, never hidden as a worker; control characters in its argv are stripped", async () => {
    const d = await startDaemon({ group: GROUP });
    const { fakeDaemon } = agentFiles();
    const drv = '/nix/store/00000000000000000000000000000000-btm-authz-fake.drv';
    const build = { action: 'start', id: 1, level: 0, type: 105, text: `building '${drv}'`, parent: 0, fields: [drv, '', 1, 1] };
    const forged = `\b\b\b\b\r\u001b[2K  99999 root     running  pwned`;
    const child = agentInBackground(attacker.name, fakeDaemon, d.paths.nixLog, [build], 8000, [forged]);
    try {
      const s = await waitForStatus(d.dir, (x) => x.sources.some((src) => src.uid === attacker.uid), 20_000, 'the fake daemon', true);
      const src = s.sources.find((x) => x.uid === attacker.uid)!;
      expect(src).toMatchObject({ via: 'socket', uid: attacker.uid, user: attacker.name });
      expect(src.command).toContain('pwned');
      // eslint-disable-next-line no-control-regex
      expect(src.command).not.toMatch(/[\u0000-\u001f\u007f]/);
      const { state } = await hello(d.paths.control);
      const job = [...state.jobs.values()].find((j) => j.info.uid === attacker.uid)!;
      expect(job.info.daemonWorker).toBeUndefined();
      expect(shownJobs(state).map((j) => j.source)).toContain(job.source);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
