// Issue 14, crashes and disagreement: hostile records on the log socket and hostile control messages, sent by a
// real unprivileged user (a member of the daemon's --group for the control socket) to a real root daemon. Each must
// be refused and counted; the daemon goes on, answers hello, and its clients keep its exact state.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { subscribe, type Subscription } from '../../src/client/daemon-client.js';
import { stateReport } from '../../src/state/report.js';
import { atFrame, exitFrame, logFrames } from '../../src/protocol/feed-frames.js';
import { ATTACKER, GROUP, attackAs, cleanAttacks, ensureUsers, memoryOf, RSS_BOUND_MIB, uidOf } from './attacker.js';
import { alive, jsonLogLines, startDaemon, status, statusNow, stopAll, waitForStatus, within } from './daemon-helpers.js';

const SUCCESS = 'log-daemon-root-graph-success';

beforeAll(() => ensureUsers());
const subscriptions: Subscription[] = [];
afterEach(async () => {
  for (const f of subscriptions.splice(0)) f.close();
  await stopAll();
});
afterAll(() => cleanAttacks());

const deep = (depth: number, key: 'payload' | 'fields'): string => key === 'payload'
  ? `{"action":"result","fields":[],"id":7,"type":101,"payload":${'['.repeat(depth)}${']'.repeat(depth)}}`
  : `{"action":"result","fields":${'['.repeat(depth)}${']'.repeat(depth)},"id":7,"type":101}`;

/** The lines that crashed or split the old daemon, as json-log-path records. */
const HOSTILE = [
  deep(4200, 'payload'), deep(50_000, 'payload'), deep(4200, 'fields'),
  `{"action":"result","id":9,"type":101,"fields":[],"payload":{"a":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`,
  '{"action":"result","fields":[1e400,2,0,0],"id":59008555679745,"type":105}',
  '{"action":"result","fields":[-0],"id":59008555679745,"type":105}',
  '{"action":"result","fields":["x"],"id":59008555679745,"type":001}',
  '{"action":"msg","level":03,"msg":"fast path bait"}',
];

const comparable = (ds: readonly { drvPath: string; status: string; exitCode: number | null; reason: string | null }[]) =>
  Object.fromEntries(ds.map((d) => [d.drvPath, `${d.status}/${d.exitCode}/${d.reason}`]));

describe('times a feed claims, from an unprivileged user', () => {
  it('a start in 1970 and lines "read" in 2286 are held to the feeding process\'s own start and to now', async () => {
    const d = await startDaemon({ group: GROUP });
    const drv = '/nix/store/00000000000000000000000000000000-claimed-times.drv';
    const nix = (r: unknown): string => `@nix ${JSON.stringify(r)}\n`;
    const before = Date.now();
    const frames = Buffer.concat([
      atFrame(1e13), logFrames(Buffer.from(nix({ action: 'start', id: 5, level: 3, parent: 0, text: 'building', type: 105, fields: [drv, '', 1, 1] }))),
      atFrame(1000), logFrames(Buffer.from(nix({ action: 'stop', id: 5 }))), exitFrame(0)]);
    const request = JSON.stringify({ op: 'feed', command: 'claimed-times', pid: null, framed: true, startedAt: 1 }) + '\n';
    const attack = attackAs(ATTACKER, { mode: 'lines', path: d.paths.control, base64: true, gapMs: 500,
      chunks: [Buffer.from(request).toString('base64'), frames.toString('base64')], readMs: 300 });
    await attack.done;
    const doc = await waitForStatus(d.dir, (s) => s.jobs.some((j) => j.status !== 'running') && s.derivations.some((x) => x.drvPath === drv), 30_000, 'the feed job closed');
    const after = Date.now();
    const job = doc.jobs[0]!;
    expect(job.uid).toBe(uidOf(ATTACKER));
    // Not 1970: no earlier than the attacking process itself started (after `before`; /proc tells a start to within
    // a second: the boot time it counts from is in whole seconds), and no later than now.
    expect(job.openedAt!).toBeGreaterThanOrEqual(before - 1000);
    expect(job.openedAt!).toBeLessThanOrEqual(after);
    const built = doc.derivations.find((x) => x.drvPath === drv)!;
    // 2286 became "now", and the stop "in 1970" came no earlier than the start: a duration of 0, never negative.
    expect(built.durationMs).not.toBeNull();
    expect(built.durationMs!).toBeGreaterThanOrEqual(0);
    expect(built.durationMs!).toBeLessThanOrEqual(after - before + 1000);
    expect(job.closedAt!).toBeLessThanOrEqual(after);
    expect(alive(d.pid)).toBe(true);
  });
});

describe('hostile json-log-path records from an unprivileged user', () => {
  it('deep nesting, 1e400, -0 and leading zeros are refused and counted; the daemon and a subscription agree', async () => {
    const d = await startDaemon({ group: GROUP });
    const subscription = await subscribe(d.paths.control);
    subscriptions.push(subscription);
    // A real capture with the hostile lines spliced in, from the attacker's uid.
    const real = jsonLogLines(SUCCESS);
    const lines = [...real.slice(0, 40), ...HOSTILE, ...real.slice(40)];
    const attack = attackAs(ATTACKER, { mode: 'lines', path: d.paths.nixLog, chunks: [lines.join('\n') + '\n'], readMs: 200 });
    await attack.done;
    const doc = await waitForStatus(d.dir, (s) => s.jobs.length === 1 && s.jobs[0]?.status !== 'running', 30_000, 'the job to close');
    expect(alive(d.pid)).toBe(true);
    expect(doc.decodeErrors).toBe(HOSTILE.length);
    expect(doc.sources[0]?.uid).toBe(uidOf(ATTACKER));
    expect(doc.jobs[0]?.status).toBe('succeeded');
    // The subscription decoded the same ring records and reduced them: the same derivations, statuses and reasons.
    await within((async () => {
      for (;;) {
        subscription.poll();
        const mine = comparable(stateReport(subscription.state).derivations);
        const theirs = comparable((await statusNow(d.dir)).derivations);
        if (JSON.stringify(mine) === JSON.stringify(theirs) && Object.keys(mine).length > 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    })(), 20_000, 'the subscription to match the daemon');
    expect(d.stderr()).not.toMatch(/RangeError|uncaught|unhandled/i);
    expect(memoryOf(d.pid).hwmMiB).toBeLessThan(RSS_BOUND_MIB);
  });
});

describe('hostile control messages from a group member', () => {
  it('null, 5, arrays, wrong types and a feed followed by junk are refused; the daemon answers hello after', async () => {
    const d = await startDaemon({ group: GROUP });
    const requests = ['null', '5', '[]', '"hello"', 'true', '{}', '{"op":null}', '{"op":{"a":1}}', '{"op":"hello"}',
      '{"op":"hello","version":"1"}', '{"op":"signal"}', '{"op":"signal","target":"job","pid":"1","startedAt":0,"signal":"KILL"}',
      '{"op":"signal","target":"process","pid":-1,"signal":"KILL"}', '{"op":"environ","pid":[]}', '{"op":"feed","pid":"x"}',
      `{"op":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, '{not json'];
    const first = attackAs(ATTACKER, { mode: 'lines', path: d.paths.control, chunks: requests.map((r) => r + '\n'), readMs: 500 });
    const replies = ((await first.done).replies as string[]).map((l) => JSON.parse(l) as { ok: boolean; reason?: string });
    expect(replies).toHaveLength(requests.length);
    expect(replies.every((r) => r.ok === false && typeof r.reason === 'string')).toBe(true);
    // The feeds that crashed the old daemon: a feed, then values that are not feed messages.
    for (const junk of ['5', 'null', '[]', '"line"', '{"line":5}', '{"exit":"x"}', '{"line":["a"]}']) {
      const feed = attackAs(ATTACKER, { mode: 'lines', path: d.paths.control, chunks: ['{"op":"feed","command":"x","pid":null}\n', junk + '\n', '{"line":"@nix {\\"action\\":\\"msg\\",\\"level\\":0,\\"msg\\":\\"error: after junk\\"}"}\n'], readMs: 1000 });
      const r = (await feed.done).replies as string[];
      expect(r.map((l) => JSON.parse(l) as unknown)).toEqual([{ ok: true, op: 'feed' }]);
    }
    expect(alive(d.pid)).toBe(true);
    const doc = status(d.dir);
    expect(doc.daemon.pid).toBe(d.pid);
    expect(doc.sources.filter((s) => s.via === 'run' && s.uid === uidOf(ATTACKER))).toHaveLength(7);
    // Each feed's good line after the junk still arrived (an error-level message).
    expect(doc.errors.filter((e) => e.text.includes('after junk'))).toHaveLength(7);
    expect(d.stderr()).not.toMatch(/TypeError|RangeError|uncaught|unhandled/i);
  });
});
