// Issue 14, resource exhaustion, performed by a real unprivileged user against a real root daemon: unread hello
// replies, 100 MB lines on both sockets, ~20,000 connections, a log flood. The daemon's peak resident memory (VmHWM)
// stays under RSS_BOUND_MIB, root and other users keep being answered, daemon.log stays small.
import { readFileSync, statSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hello, request } from '../../src/client/daemon-client.js';
import { OUR_VERSIONS } from '../../src/protocol/version.js';
import { ATTACKER, GROUP, OTHER, attackAs, cleanAttacks, ensureUsers, memoryOf, openFds, RSS_BOUND_MIB } from './attacker.js';
import { alive, closeSocket, jsonLogLines, logClient, startDaemon, stopAll, waitForStatus, within, write, type Daemon } from './daemon-helpers.js';

beforeAll(() => ensureUsers());
afterEach(async () => { await stopAll(); });
afterAll(() => cleanAttacks());

function hardFdLimit(): number {
  const m = /^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? Number(m[1]) : 1024;
}

/** Root and another group member are still answered while the attack holds its connections. */
async function othersAnswered(d: Daemon): Promise<void> {
  const h = await within(hello(d.paths.control, 10_000), 15_000, 'root hello during the attack');
  expect(h.daemon.pid).toBe(d.pid);
  const other = attackAs(OTHER, { mode: 'lines', path: d.paths.control, chunks: [`${JSON.stringify({ op: 'hello', ...OUR_VERSIONS })}\n`], readMs: 2000 });
  const replies = (await within(other.done, 20_000, 'another user hello')).replies as string[];
  expect(JSON.parse(replies[0] ?? '{}')).toMatchObject({ ok: true, op: 'hello' });
}

/** Many real sources, so that each hello reply (a snapshot) is large. */
async function prefill(d: Daemon, sources: number): Promise<number> {
  const lines = jsonLogLines('log-daemon-root-graph-success').join('\n') + '\n';
  for (let i = 0; i < sources; i++) {
    const s = await logClient(d.dir);
    // Each source its own store paths, so derivations add up in the snapshot.
    await write(s, lines.replace(/\/nix\/store\/([0-9a-z]{6})/g, (_m, h: string) => `/nix/store/${(i % 36).toString(36)}${h.slice(1)}`));
    await closeSocket(s);
  }
  await waitForStatus(d.dir, (s) => s.jobs.length === sources && s.jobs.every((j) => j.status !== 'running'), 60_000, 'prefill', true);
  const reply = JSON.stringify((await hello(d.paths.control)).state.derivations.size);
  return Number(reply);
}

describe('resource exhaustion by an unprivileged user', () => {
  it('hellos written without reading the replies: at most one reply held per connection, memory bounded', async () => {
    const d = await startDaemon({ group: GROUP });
    const derivations = await prefill(d, 36);
    expect(derivations).toBeGreaterThan(300);
    const snapshotBytes = Buffer.byteLength(JSON.stringify(await request(d.paths.control, { op: 'hello', ...OUR_VERSIONS })));
    const attack = attackAs(ATTACKER, { mode: 'hold', path: d.paths.control, count: 48, each: `${JSON.stringify({ op: 'hello', ...OUR_VERSIONS })}\n`.repeat(500), holdMs: 4000 });
    await within(attack.reached('holding'), 60_000, 'the attack to be in place');
    await othersAnswered(d);
    const during = memoryOf(d.pid);
    const report = await attack.done;
    // 32 admitted connections x 500 hellos would be 16,000 replies of snapshotBytes each if replies were not held back.
    expect(report.stillOpen).toBeLessThanOrEqual(32);
    expect(16_000 * snapshotBytes / 2 ** 20).toBeGreaterThan(RSS_BOUND_MIB);
    console.log(`unread hellos: reply ${snapshotBytes} bytes, daemon RSS ${during.rssMiB.toFixed(0)} MiB during, peak ${memoryOf(d.pid).hwmMiB.toFixed(0)} MiB`);
    expect(during.rssMiB).toBeLessThan(RSS_BOUND_MIB);
    expect(memoryOf(d.pid).hwmMiB).toBeLessThan(RSS_BOUND_MIB);
    expect(alive(d.pid)).toBe(true);
  });

  it('100 MB lines on 32 control and 64+ log connections: cut and counted, memory bounded, Nix lines still read', async () => {
    const d = await startDaemon({ group: GROUP });
    const mib = 'x'.repeat(1 << 20);
    const control = attackAs(ATTACKER, { mode: 'hold', path: d.paths.control, count: 40, each: mib, repeat: 100, holdMs: 1000 });
    const log = attackAs(ATTACKER, { mode: 'hold', path: d.paths.nixLog, count: 80, each: mib, repeat: 16, holdMs: 1000 });
    // Meanwhile root's Nix writes a real build log: it must be read in full.
    const s = await logClient(d.dir);
    await write(s, jsonLogLines('log-daemon-root-graph-success').join('\n') + '\n');
    await closeSocket(s);
    await within(Promise.all([control.reached('holding'), log.reached('holding')]), 240_000, 'the attack to be in place');
    await othersAnswered(d);
    const held = memoryOf(d.pid);
    const [c, l] = await Promise.all([control.done, log.done]);
    expect(c.stillOpen).toBeLessThanOrEqual(32);
    expect(l.stillOpen).toBeLessThanOrEqual(64);
    const doc = await waitForStatus(d.dir, (x) => x.jobs.some((j) => j.uid === 0 && j.status !== 'running'), 30_000, 'root build read');
    expect(doc.jobs.filter((j) => j.uid === 0).map((j) => j.status)).toEqual(['succeeded']);
    console.log(`100 MB lines: daemon RSS ${held.rssMiB.toFixed(0)} MiB during, peak ${memoryOf(d.pid).hwmMiB.toFixed(0)} MiB`);
    expect(held.rssMiB).toBeLessThan(RSS_BOUND_MIB);
    expect(memoryOf(d.pid).hwmMiB).toBeLessThan(RSS_BOUND_MIB);
  });

  it('framed feeds: 100 MB lines in 1 MiB frames on 40 connections, and frames over the limit: cut, closed, memory bounded', async () => {
    const d = await startDaemon({ group: GROUP });
    const feed = `${JSON.stringify({ op: 'feed', command: 'nix-build x', pid: null, framed: true })}\n`;
    // [u32 big-endian length][u8 type 1 = log][payload]: 1 MiB of one line that never ends.
    const frame = `\x00\x10\x00\x00\x01${'x'.repeat(1 << 20)}`;
    const framed = attackAs(ATTACKER, { mode: 'hold', path: d.paths.control, count: 40, first: feed, firstWaitMs: 300, each: frame, repeat: 100, holdMs: 1000 });
    const s = await logClient(d.dir);
    await write(s, jsonLogLines('log-daemon-root-graph-success').join('\n') + '\n');
    await closeSocket(s);
    await within(framed.reached('holding'), 240_000, 'the attack to be in place');
    await othersAnswered(d);
    const held = memoryOf(d.pid);
    expect((await framed.done).stillOpen).toBeLessThanOrEqual(32);
    // Then a length over the frame limit (32 MiB; the plan's strings go out as UTF-8, so bytes stay under 0x80): each
    // connection is closed at its first frame header, nothing allocated for it.
    const huge = attackAs(ATTACKER, { mode: 'hold', path: d.paths.control, count: 8, first: feed, firstWaitMs: 300, each: `\x02\x00\x00\x00\x01xxxx`, repeat: 1, holdMs: 1000 });
    expect((await within(huge.done, 60_000, 'the oversized frames')).connected).toBe(8);
    // (The attacker never reads, so it does not see the close itself: the daemon's log says it.)
    const closed = readFileSync(d.paths.logFile, 'utf8').split('\n').filter((l) => /feed from uid \d+: bad feed frame length 33554432 .*; closed/.test(l));
    expect(closed).toHaveLength(8);
    const doc = await waitForStatus(d.dir, (x) => x.jobs.some((j) => j.uid === 0 && j.status !== 'running'), 30_000, 'root build read');
    expect(doc.jobs.filter((j) => j.uid === 0).map((j) => j.status)).toEqual(['succeeded']);
    console.log(`framed 100 MB lines: daemon RSS ${held.rssMiB.toFixed(0)} MiB during, peak ${memoryOf(d.pid).hwmMiB.toFixed(0)} MiB`);
    expect(held.rssMiB).toBeLessThan(RSS_BOUND_MIB);
    expect(memoryOf(d.pid).hwmMiB).toBeLessThan(RSS_BOUND_MIB);
    expect(alive(d.pid)).toBe(true);
  });

  it('~20,000 connections: the fd limit is never reached, root and other users get in, daemon.log stays small', async () => {
    const d = await startDaemon({ group: GROUP });
    // As many as the attacker opened, within the fd limit this machine allows (the attacker holds its ends).
    const nofile = Math.min(20_000, hardFdLimit());
    const total = Math.min(19_980, nofile - 40);
    const ctl = attackAs(ATTACKER, { mode: 'hold', path: d.paths.control, count: Math.ceil(total / 2), holdMs: 3000 }, nofile);
    const log = attackAs(ATTACKER, { mode: 'hold', path: d.paths.nixLog, count: Math.floor(total / 2), holdMs: 3000 }, nofile);
    await within(Promise.all([ctl.reached('holding'), log.reached('holding')]), 120_000, 'the attack to be in place');
    const fds = openFds(d.pid);
    await othersAnswered(d);
    const [c, l] = await Promise.all([ctl.done, log.done]);
    expect(c.stillOpen).toBeLessThanOrEqual(32);
    expect(l.stillOpen).toBeLessThanOrEqual(64);
    // 32 + 64 attacker connections, the other user's, and the daemon's own files.
    console.log(`20,000 connections: daemon fds ${fds}, peak RSS ${memoryOf(d.pid).hwmMiB.toFixed(0)} MiB`);
    expect(fds).toBeLessThan(200);
    expect(memoryOf(d.pid).hwmMiB).toBeLessThan(RSS_BOUND_MIB);
    const logText = readFileSync(d.paths.logFile, 'utf8');
    const refused = logText.split('\n').filter((x) => /refused/.test(x)).length;
    // Rate-limited per uid (a burst of 50, then 5 a second), however many connections were refused.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(500);
    expect(logText).toMatch(/more lines for uid \d+ were not logged/);
    expect(statSync(d.paths.logFile).size).toBeLessThan(4 << 20);
  });
});
