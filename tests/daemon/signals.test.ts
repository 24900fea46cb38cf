// Who may signal what: the authorization rules on a state built by the real reducer from a real capture, with the
// live facts substituted; then the real path (pidfd, /proc) against a real child process.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { authorize, liveFacts, signalAuthorized, type Live } from '../../src/daemon/signals.js';
import { processStartedAt, startClock } from '../../src/ingest/proc-time.js';
import { createProcScanner } from '../../src/ingest/proc-scan.js';
import type { ProcessInfo } from '../../src/state/events.js';
import { reduce } from '../../src/state/reducer.js';
import { fixture, replay } from '../helpers.js';

const BUILDER_START = 1_000_000;

async function stateWithBuilder(ownerUid: number) {
  const s = await replay([fixture('log-singleuser-fail-single.jsonl')]);
  const [job] = s.jobs.values();
  s.jobs.set(job!.source, { ...job!, info: { ...job!.info, uid: ownerUid, pid: 4242 } });
  const drvPath = [...s.derivations.keys()][0]!;
  const builder: ProcessInfo = { pid: 5000, ppid: 4000, pgid: 5000, uid: 30001, user: 'nixbld1', state: 'S', cpuPercent: 0,
    rssBytes: 0, startedAt: BUILDER_START, command: 'sh -c ...', role: 'builder', drvPath };
  return reduce(s, { kind: 'proc-scan', at: 1, processes: [builder], host: null });
}

/** The live facts: the builder still runs, leads its group, and belongs to `ownerUid` (its worker's client). */
const live = (ownerUid: number | null, startedAt: number | null = BUILDER_START): Live => ({
  startedAt: () => startedAt,
  owner: () => (ownerUid === null ? null : { uid: ownerUid, why: 'worker-client', clientPid: 4242 }),
  pgid: (pid) => pid,
});
const req = { target: 'build' as const, pid: 5000, startedAt: BUILDER_START, signal: 'TERM' as const };
const root = { pid: 1, uid: 0, gid: 0 };

describe('authorize, a job target after pid reuse', () => {
  it('signals the job\'s client; refuses a process that took its pid over since the job opened', async () => {
    const s0 = await replay([fixture('log-singleuser-fail-single.jsonl')]);
    const [job] = s0.jobs.values();
    const clientStart = 900_000;
    s0.jobs.set(job!.source, { ...job!, info: { ...job!.info, uid: 1001, pid: 4242, pidStartedAt: clientStart } });
    const client = (startedAt: number): ProcessInfo => ({ pid: 4242, ppid: 1, pgid: 4242, uid: 1002, user: 'b', state: 'S', cpuPercent: 0,
      rssBytes: 0, startedAt, command: 'nix build', role: 'client', drvPath: null });
    const jobReq = (startedAt: number) => ({ target: 'job' as const, pid: 4242, startedAt, signal: 'TERM' as const });
    const liveAt = (startedAt: number): Live => ({ ...live(0, startedAt), pgid: () => 4242 });
    const same = reduce(s0, { kind: 'proc-scan', at: 1, processes: [client(clientStart)], host: null });
    expect(authorize(jobReq(clientStart), root, same, liveAt(clientStart), 99)).toMatchObject({ ok: true, pid: 4242 });
    // Another user's process now holds pid 4242: the daemon's own scan shows it, its start time is what the UI saw.
    const reused = reduce(s0, { kind: 'proc-scan', at: 2, processes: [client(clientStart + 60_000)], host: null });
    expect(authorize(jobReq(clientStart + 60_000), root, reused, liveAt(clientStart + 60_000), 99))
      .toMatchObject({ ok: false, reason: expect.stringMatching(/pid was reused/) });
    // The Jobs view shows the client of the first and no client for the second (K has nothing of the job's to signal).
    const { jobRows } = await import('../../src/ui/rows-jobs.js');
    const jobRow = (st: typeof same) => jobRows(st, { filter: '', sort: { column: 0, desc: false } }).find((r) => r.key === `j:${job!.source}`);
    expect(jobRow(same)?.targets?.job).toMatchObject({ pid: 4242, startedAt: clientStart });
    expect(jobRow(reused)?.targets?.job).toBeUndefined();
    // The same process as a plain process target is root's to signal: only the job's name for it is refused.
    expect(authorize({ ...jobReq(clientStart + 60_000), target: 'process' }, root, reused, liveAt(clientStart + 60_000), 99).ok).toBe(true);
  });
});

describe('authorize', () => {
  it('lets root signal a builder process group', async () => {
    const s = await stateWithBuilder(1000);
    expect(authorize(req, root, s, live(1000), 99)).toEqual({ ok: true, pid: 5000, startedAt: BUILDER_START, group: true });
  });

  it('lets the user behind the build signal it, and refuses another user whatever the log says', async () => {
    // The job (log text) says uid 1001 asked for this derivation: that gives uid 1001 nothing.
    const s = await stateWithBuilder(1001);
    expect(authorize(req, { pid: 2, uid: 1000, gid: 100 }, s, live(1000), 99).ok).toBe(true);
    expect(authorize(req, { pid: 3, uid: 1001, gid: 100 }, s, live(1000), 99))
      .toEqual({ ok: false, reason: 'uid 1001 may only signal its own processes and the builds of its own Nix clients' });
    expect(authorize(req, { pid: 3, uid: 1000, gid: 100 }, s, live(null), 99).ok).toBe(false);
  });

  it('refuses pid 1, the daemon itself, unknown pids, exited and reused pids, missing start times, and unknown peers', async () => {
    const s = await stateWithBuilder(1000);
    const l = live(1000);
    expect(authorize({ ...req, pid: 1 }, root, s, l, 99)).toEqual({ ok: false, reason: 'refusing to signal pid 1' });
    expect(authorize({ ...req, pid: '5000' }, root, s, l, 99)).toEqual({ ok: false, reason: 'refusing to signal pid 5000' });
    expect(authorize({ ...req, pid: 99 }, root, s, l, 99)).toEqual({ ok: false, reason: 'refusing to signal the nix-btm daemon itself' });
    expect(authorize({ ...req, pid: 6000 }, root, s, l, 99)).toEqual({ ok: false, reason: 'pid 6000 is not a Nix process nix-btm knows' });
    expect(authorize(req, root, s, live(1000, null), 99)).toEqual({ ok: false, reason: 'pid 5000 has exited' });
    expect(authorize(req, root, s, live(1000, BUILDER_START + 10), 99)).toEqual({ ok: false, reason: 'pid 5000 is now a different process (start time changed)' });
    // The client's value must match the daemon's record, and must be there at all.
    expect(authorize({ ...req, startedAt: BUILDER_START + 10 }, root, s, l, 99).ok).toBe(false);
    for (const startedAt of [undefined, '1000000', null, Number.NaN]) {
      expect(authorize({ ...req, startedAt }, root, s, l, 99)).toEqual({ ok: false,
        reason: 'a request must name the start time of the process (startedAt, ms since the epoch, as in the snapshot)' });
    }
    expect(authorize(req, root, s, { ...l, pgid: () => 4999 }, 99)).toEqual({ ok: false, reason: 'pid 5000 is not a builder leading its process group' });
    expect(authorize(req, null, s, l, 99)).toEqual({ ok: false, reason: 'cannot tell who is asking (no peer credentials)' });
  });
});

describe('start times and pidfds', () => {
  it('the scanner and the signal check read the same start time for a process (one clock, real CLK_TCK)', () => {
    const scan = createProcScanner({ all: true, nixVersion: null, cgroupBase: null }).scan(Date.now());
    const me = scan.processes.find((p) => p.pid === process.pid);
    expect(me).toBeDefined();
    expect(processStartedAt(process.pid)).toBe(me!.startedAt);
    expect(Math.abs(me!.startedAt - (Date.now() - process.uptime() * 1000))).toBeLessThan(5000);
    expect(startClock().clockTicks).toBeGreaterThan(0);
    expect(processStartedAt(2 ** 22 + 12345)).toBeNull();
  });

  it('signals a real process through its pidfd, and refuses once its start time no longer matches', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid!;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, sig) => resolve(sig)));
    const startedAt = processStartedAt(pid)!;
    const s = reduce(await stateWithBuilder(0), { kind: 'proc-scan', at: 2, host: null, processes: [
      { pid, ppid: process.pid, pgid: pid, uid: 0, user: 'root', state: 'S', cpuPercent: 0, rssBytes: 0, startedAt,
        command: 'sleep 30', role: 'other', drvPath: null }] });
    const me = { pid: process.pid, uid: process.getuid!(), gid: 0 };
    const lf = liveFacts(() => false);
    // What the daemon recorded is not what runs now (a reused pid): nothing is sent.
    const stale = reduce(s, { kind: 'proc-scan', at: 3, host: null, processes: s.processes.map((p) => ({ ...p, startedAt: startedAt - 10 })) });
    expect(signalAuthorized({ target: 'process', pid, startedAt: startedAt - 10, signal: 'KILL' }, me, stale, lf, 99).ok).toBe(false);
    expect(signalAuthorized({ target: 'process', pid, startedAt, signal: 'KILL' }, me, s, lf, 99)).toEqual({ ok: true, value: null });
    expect(await exited).toBe('SIGKILL');
    expect(signalAuthorized({ target: 'process', pid, startedAt, signal: 'KILL' }, me, s, lf, 99))
      .toEqual({ ok: false, reason: `pid ${pid} has exited` });
  });
});
