// The daemon under load on loopback (no Nix needed): real captures written to nix-log.sock as Nix >= 2.30 would
// (one JSON object a line, no `@nix `), torn at random byte offsets, by many sources at once; bad input; a subscription
// lapped in a small ring; SIGKILL and restart; SIGTERM clean-up; file modes. Bounded in count and time.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { subscribe, sendSignal, type Subscription } from '../../src/client/daemon-client.js';
import { stateReport } from '../../src/state/report.js';
import {
  alive, closeSocket, freshDir, jsonLogLines, logClient, sleep, startDaemon, status, statusNow, stopAll, truthOf,
  waitForStatus, within, write, type StatusDoc, type Truth,
} from './daemon-helpers.js';

const SUCCESS = 'log-daemon-root-graph-success';
const KEEP_GOING = 'log-daemon-root-graph-fail-libgamma-keep-going';

const subscriptions: Subscription[] = [];
afterEach(async () => {
  for (const f of subscriptions.splice(0)) f.close();
  await stopAll();
});

/** Small deterministic PRNG, so a failing split can be reproduced from the seed in the message. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The bytes cut at random offsets (1..maxChunk bytes each), so lines and UTF-8 sequences are torn. */
function tear(data: Buffer, random: () => number, maxChunk = 2048): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length;) {
    const n = 1 + Math.floor(random() * maxChunk);
    chunks.push(data.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

async function writeTorn(lines: readonly string[], dir: string, random: () => number, close = true): Promise<void> {
  const socket = await logClient(dir);
  for (const chunk of tear(Buffer.from(lines.join('\n') + '\n'), random)) {
    await write(socket, chunk);
    // Let the other sources' chunks interleave with this one's.
    if (random() < 0.3) await sleep(0);
  }
  if (close) await closeSocket(socket);
}

/** What the store said each planned derivation ended as (same rule as tests/state/replay-new-captures.test.ts). */
function expectedStatuses(truth: Truth): Record<string, string> {
  const out: Record<string, string> = {};
  for (const drvPath of truth.plannedDrvs) {
    const d = truth.drvs[drvPath]!;
    out[drvPath] = d.outputsValid ? 'built' : drvPath === truth.failingDrv ? 'failed' : truth.signal ? 'interrupted' : 'cancelled';
  }
  return out;
}

function statusesOf(doc: StatusDoc, drvPaths: readonly string[]): Record<string, string | undefined> {
  const byPath = new Map(doc.derivations.map((d) => [d.drvPath, d.status]));
  return Object.fromEntries(drvPaths.map((p) => [p, byPath.get(p)]));
}

/**
 * The same records naming store paths this store has never seen (each hash reversed): the captures were made on
 * machines like this one, and where their outputs exist the daemon rightly trusts the store over a cut-short log.
 */
const unknownToStore = (lines: readonly string[]): string[] =>
  lines.map((l) => l.replace(/\/nix\/store\/([0-9a-z]{32})-/g, (_m, h: string) => `/nix/store/${[...h].reverse().join('')}-`));

/** Drv paths whose Build (105) activity started and had not stopped after `lines`. */
function runningAfter(lines: readonly string[]): string[] {
  const open = new Map<string, string>();
  for (const l of lines) {
    const r = JSON.parse(l.replace(/"(id|parent)":(\d+)/g, '"$1":"$2"')) as { action: string; id?: string; type?: number; fields?: unknown[] };
    if (r.action === 'start' && r.type === 105) open.set(r.id!, String(r.fields?.[0]));
    if (r.action === 'stop') open.delete(r.id!);
  }
  return [...open.values()];
}

/** The parts of a derivation both sides must agree on (durations depend on the reader's clock). */
const comparable = (ds: readonly { drvPath: string; status: string; exitCode: number | null; reason: string | null; jobs: readonly string[] }[]) =>
  Object.fromEntries(ds.map((d) => [d.drvPath, { status: d.status, exitCode: d.exitCode, reason: d.reason, jobs: [...d.jobs] }]));

/** Polls the subscription until its derivations equal `status --json`'s (they keep changing until the sources settle). */
async function expectSubscriptionMatchesDaemon(subscription: Subscription, dir: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = await statusNow(dir);
    subscription.poll();
    const mine = comparable(stateReport(subscription.state).derivations);
    const theirs = comparable(doc.derivations);
    if (JSON.stringify(mine) === JSON.stringify(theirs)) {
      // And once more through the CLI, which is what users see.
      expect(comparable(stateReport(subscription.state).derivations)).toEqual(comparable(status(dir).derivations));
      return;
    }
    if (Date.now() > deadline) expect(mine).toEqual(theirs);
    await sleep(100);
  }
}

describe('many json-log-path sources at once', () => {
  it('50 concurrent sources writing torn real captures: 50 jobs, every derivation as the store said', async () => {
    const d = await startDaemon();
    const seed = Date.now() & 0xffff;
    const random = prng(seed);
    const kinds = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? SUCCESS : KEEP_GOING));
    await Promise.all(kinds.map((k) => writeTorn(jsonLogLines(k), d.dir, prng(Math.floor(random() * 2 ** 32)))));
    const doc = await waitForStatus(d.dir, (s) => s.jobs.length === 50 && s.jobs.every((j) => j.status !== 'running'),
      60_000, `50 closed jobs (seed ${seed})`);
    expect(doc.decodeErrors, `seed ${seed}`).toBe(0);
    expect(doc.sources).toHaveLength(50);
    expect(doc.sources.every((s) => s.via === 'socket' && s.uid === 0 && s.user === 'root' && s.pid === process.pid)).toBe(true);
    expect(doc.jobs.filter((j) => j.status === 'succeeded')).toHaveLength(25);
    expect(doc.jobs.filter((j) => j.status === 'failed')).toHaveLength(25);
    for (const k of [SUCCESS, KEEP_GOING]) {
      const want = expectedStatuses(truthOf(k));
      expect(statusesOf(doc, Object.keys(want)), `${k}, seed ${seed}`).toEqual(want);
      // Each derivation shows the 25 jobs that asked for it, sources kept apart although they share activity ids.
      for (const drvPath of Object.keys(want)) expect(doc.derivations.find((x) => x.drvPath === drvPath)?.jobs).toHaveLength(25);
    }
    expect(doc.derivations.find((x) => x.drvPath === truthOf(KEEP_GOING).failingDrv)).toMatchObject({ status: 'failed', exitCode: 2 });
    expect(alive(d.pid)).toBe(true);
  });

  it('garbage and a > 1 MiB line on one connection: counted as decode errors, that source and the others go on', async () => {
    const d = await startDaemon();
    const random = prng(7);
    const giant = `{"action":"msg","level":3,"msg":"${'x'.repeat(1536 * 1024)}"}`;
    const bad = ['{not json', '{"action":"start"}', '{"action":"stop","id":"twelve"}', giant,
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString('latin1')];
    const other = writeTorn(jsonLogLines(SUCCESS), d.dir, prng(11));
    // The bad lines, then a whole real capture on the same connection.
    await writeTorn([...bad, ...jsonLogLines(KEEP_GOING)], d.dir, random);
    await other;
    const doc = await waitForStatus(d.dir, (s) => s.jobs.length === 2 && s.jobs.every((j) => j.status !== 'running'), 30_000, 'two closed jobs');
    // Four lines that look like JSON objects and are not (the giant one cut at the 1 MiB limit); binary junk is text.
    expect(doc.decodeErrors).toBe(4);
    for (const k of [SUCCESS, KEEP_GOING]) {
      const want = expectedStatuses(truthOf(k));
      expect(statusesOf(doc, Object.keys(want)), k).toEqual(want);
    }
    expect(alive(d.pid)).toBe(true);
    expect(d.stderr()).not.toMatch(/TypeError|RangeError|Unhandled/);
  });

  it('a peer that closes mid-build leaves its running builds interrupted', async () => {
    const d = await startDaemon();
    const lines = unknownToStore(jsonLogLines(SUCCESS));
    // Cut where some builds have started and not stopped.
    let cut = Math.floor(lines.length / 2);
    while (runningAfter(lines.slice(0, cut)).length === 0) cut++;
    const running = runningAfter(lines.slice(0, cut));
    const socket = await logClient(d.dir);
    await write(socket, lines.slice(0, cut).join('\n') + '\n');
    const mid = await waitForStatus(d.dir, (s) => running.every((p) => s.derivations.find((x) => x.drvPath === p)?.status === 'running'),
      20_000, 'the builds running', true);
    expect(mid.jobs[0]?.status).toBe('running');
    socket.destroy();
    const doc = await waitForStatus(d.dir, (s) => s.jobs[0]?.status !== 'running', 20_000, 'the job to close');
    expect(doc.jobs[0]?.status).toBe('interrupted');
    expect(statusesOf(doc, running)).toEqual(Object.fromEntries(running.map((p) => [p, 'interrupted'])));
    expect(doc.derivations.filter((x) => x.status === 'running')).toEqual([]);
    // Builds that had finished stay built.
    expect(doc.derivations.filter((x) => x.status === 'built').length).toBeGreaterThan(0);
  });
});

describe('subscriptions', () => {
  it('a subscription lapped in a 1 MiB ring resyncs and ends with the daemon’s state', async () => {
    const d = await startDaemon({ ringMiB: 1 });
    const ring = readdirSync(d.dir).find((f) => /^events\.\d+\.ring$/.test(f));
    expect(ring).toBe(`events.${d.pid}.ring`);
    const size = statSync(join(d.dir, ring!)).size;
    expect(size).toBeGreaterThanOrEqual(1 << 20);
    expect(size).toBeLessThan(2 << 20);
    const subscription = await subscribe(d.paths.control);
    subscriptions.push(subscription);
    // ~20 whole captures, several MiB of events: far more than the ring holds, while the subscription does not poll.
    for (let i = 0; i < 20; i++) await writeTorn(jsonLogLines(i % 2 === 0 ? SUCCESS : KEEP_GOING), d.dir, prng(i));
    await waitForStatus(d.dir, (s) => s.jobs.length === 20 && s.jobs.every((j) => j.status !== 'running'), 60_000, '20 closed jobs', true);
    const first = subscription.poll();
    expect(first.lost).toBeGreaterThan(0);
    await subscription.resync();
    await expectSubscriptionMatchesDaemon(subscription, d.dir);
    expect(stateReport(subscription.state).jobs).toHaveLength(20);
  });

  it('daemon SIGKILL: a new daemon in the same dir replaces the stale files, and a subscription resyncs to it', async () => {
    const first = await startDaemon();
    const dir = first.dir;
    const subscription = await subscribe(first.paths.control);
    subscriptions.push(subscription);
    await writeTorn(jsonLogLines(SUCCESS), dir, prng(3));
    await waitForStatus(dir, (s) => s.jobs[0]?.status === 'succeeded', 20_000, 'the job to succeed', true);
    await expectSubscriptionMatchesDaemon(subscription, dir);
    const known = Object.keys(expectedStatuses(truthOf(SUCCESS)));
    expect(known.filter((p) => !subscription.state.derivations.has(p))).toEqual([]);
    expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL');
    // What a killed daemon leaves behind.
    for (const f of ['control.sock', 'nix-log.sock', 'daemon.pid', `events.${first.pid}.ring`]) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(subscription.poll().alive).toBe(false);

    const second = await startDaemon({ dir });
    expect(existsSync(join(dir, `events.${first.pid}.ring`))).toBe(false);
    expect(existsSync(join(dir, `events.${second.pid}.ring`))).toBe(true);
    expect(status(dir).daemon.pid).toBe(second.pid);
    await subscription.resync();
    expect(subscription.daemon.pid).toBe(second.pid);
    // Nothing the killed daemon knew is left (a build of this machine's that the new daemon finds in /proc may be).
    expect(known.filter((p) => subscription.state.derivations.has(p))).toEqual([]);
    await writeTorn(jsonLogLines(KEEP_GOING), dir, prng(4));
    await waitForStatus(dir, (s) => s.jobs[0]?.status === 'failed', 20_000, 'the job to fail', true);
    await expectSubscriptionMatchesDaemon(subscription, dir);
    const want = expectedStatuses(truthOf(KEEP_GOING));
    const mine = Object.fromEntries(Object.keys(want).map((p) => [p, subscription.state.derivations.get(p)?.status]));
    expect(mine).toEqual(want);
  });
});

describe('lifecycle and permissions', () => {
  it('SIGTERM removes control.sock, nix-log.sock, the ring and the pid file, and exits 0 even with peers connected', async () => {
    const d = await startDaemon();
    const ring = `events.${d.pid}.ring`;
    for (const f of ['control.sock', 'nix-log.sock', 'daemon.pid', ring]) expect(existsSync(join(d.dir, f)), f).toBe(true);
    // An idle Nix on the log socket and a subscription must not keep the daemon from exiting.
    const idle = await logClient(d.dir);
    await write(idle, jsonLogLines(SUCCESS).slice(0, 20).join('\n') + '\n');
    const subscription = await subscribe(d.paths.control);
    subscriptions.push(subscription);
    const exit = await within(d.stop('SIGTERM'), 20_000, 'the daemon exiting on SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    // What remains is what must outlive the daemon: its log and the build history (kept in the runtime dir by the
    // test helper; a real daemon keeps it in /var/lib/nix-btm).
    expect(readdirSync(d.dir).filter((f) => !f.startsWith('history.sqlite')).sort()).toEqual(['daemon.log']);
    expect(subscription.poll().alive).toBe(false);
    idle.destroy();
  });

  it('a second daemon in a dir whose daemon answers is refused, and the first keeps its files', async () => {
    const d = await startDaemon();
    await expect(startDaemon({ dir: d.dir })).rejects.toThrow(/a nix-btm daemon already answers on .*control\.sock/);
    expect(status(d.dir).daemon.pid).toBe(d.pid);
    expect(existsSync(join(d.dir, `events.${d.pid}.ring`))).toBe(true);
  });

  it('file modes: control 0600, nix-log 0666, ring 0600, dir not writable by others; 0660 (ring 0640) and the group with --group', async () => {
    const mode = (p: string): number => statSync(p).mode & 0o777;
    const own = await startDaemon();
    expect(mode(own.paths.control)).toBe(0o600);
    expect(mode(own.paths.nixLog)).toBe(0o666);
    expect(mode(join(own.dir, `events.${own.pid}.ring`))).toBe(0o600);
    expect(mode(own.dir) & 0o022).toBe(0);

    const shared = await startDaemon({ group: 'nix-users' });
    const gid = Number(/^nix-users:[^:]*:(\d+):/m.exec(await import('node:fs').then((fs) => fs.readFileSync('/etc/group', 'utf8')))?.[1]);
    const ringPath = join(shared.dir, `events.${shared.pid}.ring`);
    expect(mode(shared.paths.control)).toBe(0o660);
    expect(statSync(shared.paths.control).gid).toBe(gid);
    expect(mode(ringPath)).toBe(0o640);
    expect(statSync(ringPath).gid).toBe(gid);
    expect(mode(shared.paths.nixLog)).toBe(0o666);
    expect(mode(shared.dir) & 0o022).toBe(0);
  });

  it('refuses a runtime dir that others may write to', async () => {
    const dir = freshDir();
    const { chmodSync } = await import('node:fs');
    chmodSync(dir, 0o777);
    await expect(startDaemon({ dir })).rejects.toThrow(/is writable by group or others \(mode 777\): refusing it/);
    expect(existsSync(join(dir, 'control.sock'))).toBe(false);
  });

  it('signal requests: never pid 1, never the daemon, never a pid nix-btm does not know', async () => {
    const d = await startDaemon();
    const ask = (pid: number) => sendSignal(d.paths.control, { target: 'process', pid, startedAt: 0, signal: 'KILL' });
    expect(await ask(1)).toEqual({ ok: false, reason: 'refusing to signal pid 1' });
    expect(await ask(d.pid)).toEqual({ ok: false, reason: 'refusing to signal the nix-btm daemon itself' });
    expect(await ask(process.pid)).toEqual({ ok: false, reason: `pid ${process.pid} is not a Nix process nix-btm knows` });
    const bad = await sendSignal(d.paths.control, { target: 'process', pid: 5, startedAt: 0, signal: 'NOPE' as never });
    expect(bad).toMatchObject({ ok: false, reason: expect.stringMatching(/^bad signal request/) });
    expect(alive(d.pid)).toBe(true);
  });
});

