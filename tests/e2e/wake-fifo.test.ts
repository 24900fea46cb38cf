// A root daemon's wake FIFOs (src/daemon/wake-offers.ts) against real unprivileged members of its --group. A FIFO
// is the daemon's own user's only: a member holding the read end of a pipe the daemon writes could keep the pipe's
// mutex (splice from it into a socket it never reads) and leave the daemon asleep in write(), unkillable. So a
// member asking for one is refused and waits on the ring's futex, still getting every record; it can neither open
// root's FIFO, nor list or write the directory. Root's UI waits on its FIFO and is woken through it; asking without
// end is refused past the per-user limit; a FIFO held open and never read stalls nothing.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hello, subscribe } from '../../src/client/daemon-client.js';
import { root } from '../helpers.js';
import { DEFAULT_WAKE_LIMITS } from '../../src/daemon/wake-offers.js';
import { buildChildren, cleanChildren, spawnChild, type Child } from '../ring/helpers.js';
import { ATTACKER, GROUP, OTHER, ensureUsers, uidOf } from './attacker.js';
import { alive, closeSocket, logClient, startDaemon, stopAll, within, write, type Daemon } from './daemon-helpers.js';

const isRoot = process.getuid?.() === 0;
let out = '';
const children: Child[] = [];
const gidOf = (group: string): number => Number(spawnSync('getent', ['group', group], { encoding: 'utf8' }).stdout.split(':')[2]);

const record = (id: number, text: string): string =>
  `@nix ${JSON.stringify({ action: 'start', id, level: 3, type: 0, text, fields: [], parent: 0 })}\n`;

afterAll(async () => {
  for (const c of children) c.process.kill('SIGKILL');
  if (out) cleanChildren(out);
  await stopAll();
});

type Ready = { ready?: boolean; wait?: string; fifo?: { uid: number; mode: number; isFifo: boolean }; path?: string };
type Result = { result?: { records: number; wait: string; fifoWakes: number } };
type Replies = { replies?: { ok: boolean; path?: string; reason?: string }[] };

describe.skipIf(!isRoot)('wake FIFOs of a root daemon against members of its group (needs root: creates users)', { timeout: 120_000 }, () => {
  let d: Daemon;
  let member = { uid: 0, gid: 0 };
  let other = { uid: 0, gid: 0 };
  const child = (options: object, who?: { uid: number; gid: number }): Child => {
    const c = spawnChild(out, 'wake-client', { control: d.paths.control, ...options }, who);
    children.push(c);
    return c;
  };
  const publish = async (n: number, from: number): Promise<void> => {
    const log = await logClient(d.dir);
    for (let i = 0; i < n; i++) await write(log, record(from + i, `record ${i}`));
    await closeSocket(log);
  };

  beforeAll(async () => {
    ensureUsers();
    out = buildChildren();
    const gid = gidOf(GROUP);
    member = { uid: uidOf(ATTACKER), gid };
    other = { uid: uidOf(OTHER), gid };
    d = await startDaemon({ group: GROUP, ringMiB: 1 });
  });

  it('root’s reader gets a FIFO (root’s, 0600) and is woken through it; a member is refused one and still reads every record', async () => {
    const rootReader = child({ mode: 'read', count: 3 });
    const ready = await within(rootReader.message<Ready>((m) => m.ready === true), 20_000, 'root’s reader');
    expect(ready.wait).toBe('fifo');
    expect(ready.fifo).toEqual({ uid: 0, mode: 0o600, isFifo: true });
    const asker = child({ mode: 'ask', times: 1 }, member);
    const { replies } = await asker.message<Replies>((m) => m.replies !== undefined);
    expect(replies).toEqual([{ ok: false, op: 'wake', reason: 'wake FIFOs are for the daemon\'s own user only (others wait on the ring\'s futex)' }]);
    await publish(3, 100);
    const { result } = await within(rootReader.message<Result>((m) => m.result !== undefined), 20_000, 'records through the FIFO');
    expect(result?.records).toBeGreaterThanOrEqual(3);
    expect(result?.fifoWakes).toBeGreaterThan(0); // the daemon's bytes woke it, not the reader's 250 ms timer
  });

  it('the attack that froze a root daemon (a member splicing from its FIFO into a full socket) gets no FIFO to splice', async () => {
    // Compiled here; run as the member. Had it a FIFO, the daemon's next write() would sleep on the pipe's mutex for as
    // long as the splice blocks: no hello, the log socket unread, not even SIGKILL (found with a daemon that gave one).
    const dir = mkdtempSync(join(tmpdir(), 'btm-wake-splice-'));
    try {
      chmodSync(dir, 0o755);
      copyFileSync(join(root, 'tests/e2e/attacks/wake-splice.c'), join(dir, 'wake-splice.c'));
      const cc = spawnSync('cc', ['-O2', '-o', join(dir, 'wake-splice'), join(dir, 'wake-splice.c')], { encoding: 'utf8' });
      expect(cc.status, cc.stderr).toBe(0);
      const attack = spawnSync('setpriv', [`--reuid=${ATTACKER}`, `--regid=${GROUP}`, '--init-groups', join(dir, 'wake-splice'), d.paths.control],
        { encoding: 'utf8', timeout: 20_000 });
      expect(attack.status).toBe(2);
      expect(attack.stderr).toContain('wake FIFOs are for the daemon\'s own user only');
      await publish(3, 300);
      expect((await hello(d.paths.control, 10_000)).daemon.pid).toBe(d.pid);
      expect(readFileSync(`/proc/${d.pid}/stat`, 'utf8').split(') ')[1]?.[0]).not.toBe('D');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a member can neither open root’s FIFO, nor list or write beside it', async () => {
    const asker = child({ mode: 'ask', times: 1 });
    const { replies } = await asker.message<Replies>((m) => m.replies !== undefined);
    expect(replies?.[0]?.ok).toBe(true);
    const prober = child({ mode: 'open', path: replies?.[0]?.path ?? '' }, other);
    const { tried } = await prober.message<{ tried?: Record<string, string> }>((m) => m.tried !== undefined);
    expect(tried).toEqual({ open: 'EACCES', list: 'EACCES', createBeside: 'EACCES' });
  });

  it('a member’s UI waits on the futex and keeps up; asking without end is refused past the per-user limit', async () => {
    const flood = child({ mode: 'ask', times: DEFAULT_WAKE_LIMITS.perUid + 10 });
    const { replies } = await within(flood.message<Replies>((m) => m.replies !== undefined), 30_000, 'the flood');
    // One offer of the test before is still open (never opened: it lapses after 10 s).
    expect(replies?.filter((r) => r.ok).length).toBeLessThanOrEqual(DEFAULT_WAKE_LIMITS.perUid);
    expect(replies?.filter((r) => !r.ok).every((r) => r.reason === `uid 0 holds ${DEFAULT_WAKE_LIMITS.perUid} wake FIFOs`)).toBe(true);
    expect(replies?.filter((r) => !r.ok).length).toBeGreaterThanOrEqual(10);
    const reader = child({ mode: 'read-futex', count: 3, ring: join(d.dir, `events.${d.pid}.ring`) }, member);
    const ready = await within(reader.message<Ready>((m) => m.ready === true), 20_000, 'the member’s reader');
    expect(ready.wait).toBe('io_uring');
    await publish(3, 200);
    const { result } = await within(reader.message<Result>((m) => m.result !== undefined), 20_000, 'records on the futex');
    expect(result?.records).toBeGreaterThanOrEqual(3);
    expect(alive(d.pid)).toBe(true);
  });

  it('a FIFO held open and never read stalls nothing: 3,000 turns later an honest reader has every record', async () => {
    await new Promise((r) => setTimeout(r, 10_500)); // the flood's offers lapse
    const holder = child({ mode: 'hold' });
    await within(holder.message<{ ready?: boolean }>((m) => m.ready === true), 20_000, 'the holder');
    const sub = await subscribe(d.paths.control);
    try {
      let applied = 0;
      sub.onReadable(() => { applied += sub.poll().applied; });
      sub.poll();
      expect(sub.wait).toBe('fifo');
      const log = await logClient(d.dir);
      for (let i = 0; i < 3000; i++) {
        await write(log, record(1000 + i, `turn ${i}`));
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
      }
      await closeSocket(log);
      const deadline = Date.now() + 30_000;
      while (applied < 3000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(applied).toBeGreaterThanOrEqual(3000);
      expect(alive(d.pid)).toBe(true);
    } finally {
      sub.close();
    }
  });
});
