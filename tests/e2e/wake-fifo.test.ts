// A root daemon's wake FIFOs (src/daemon/wake-offers.ts) against real unprivileged members of its --group: one gets a
// FIFO of its own (its uid, mode 0420: it reads, the daemon's group writes) and its ring reader is woken through it; another member can neither open that
// FIFO, nor list or write the directory; asking for FIFOs without end is refused past the per-user limit, while the
// first member still gets one; and a member that holds its FIFO open without ever reading it stalls nothing: the
// daemon keeps publishing and an honest reader keeps up. The UI's own subscription waits on its FIFO too.
import { spawnSync } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { subscribe } from '../../src/client/daemon-client.js';
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

describe.skipIf(!isRoot)('wake FIFOs of a root daemon against members of its group (needs root: creates users)', { timeout: 120_000 }, () => {
  let d: Daemon;
  let as = { uid: 0, gid: 0 };
  let other = { uid: 0, gid: 0 };
  const child = (options: object, who: { uid: number; gid: number }): Child => {
    const c = spawnChild(out, 'wake-client', { control: d.paths.control, ...options }, who);
    children.push(c);
    return c;
  };

  beforeAll(async () => {
    ensureUsers();
    out = buildChildren();
    const gid = gidOf(GROUP);
    as = { uid: uidOf(ATTACKER), gid };
    other = { uid: uidOf(OTHER), gid };
    d = await startDaemon({ group: GROUP, ringMiB: 1 });
  });

  it('a member gets a FIFO of its own and is woken through it; another member cannot open, list or write beside it', async () => {
    const reader = child({ mode: 'read', count: 3 }, as);
    const ready = await within(reader.message<{ ready?: boolean; wait?: string; fifo?: { uid: number; mode: number; isFifo: boolean }; path?: string }>(
      (m) => m.ready === true), 20_000, 'the member reader');
    expect(ready.wait).toBe('fifo');
    expect(ready.fifo).toEqual({ uid: as.uid, mode: 0o420, isFifo: true });
    const log = await logClient(d.dir);
    for (let i = 0; i < 3; i++) await write(log, record(100 + i, `woken through the FIFO ${i}`));
    const { result } = await within(reader.message<{ result?: { records: number; wait: string; fifoWakes: number } }>((m) => m.result !== undefined),
      20_000, 'records through the FIFO');
    expect(result?.records).toBeGreaterThanOrEqual(3);
    expect(result?.wait).toBe('fifo');
    expect(result?.fifoWakes).toBeGreaterThan(0); // the daemon's bytes woke it, not the reader's 250 ms timer
    await closeSocket(log);

    // Another member, at the path of an offer still open (the first member asked and has not opened it yet).
    const asker = child({ mode: 'ask', times: 1 }, as);
    const { replies } = await asker.message<{ replies?: { ok: boolean; path?: string }[] }>((m) => m.replies !== undefined);
    const path = replies?.[0]?.path ?? '';
    expect(replies?.[0]?.ok).toBe(true);
    const prober = child({ mode: 'open', path }, other);
    const { tried } = await prober.message<{ tried?: Record<string, string> }>((m) => m.tried !== undefined);
    expect(tried).toEqual({ open: 'EACCES', list: 'EACCES', createBeside: 'EACCES' });
  });

  it('asking without end is refused past the per-user limit, the daemon answers everyone else, and another user still gets one', async () => {
    const flood = child({ mode: 'ask', times: DEFAULT_WAKE_LIMITS.perUid + 10 }, other);
    const { replies } = await within(flood.message<{ replies?: { ok: boolean; reason?: string }[] }>((m) => m.replies !== undefined),
      30_000, 'the flood');
    expect(replies?.filter((r) => r.ok).length).toBe(DEFAULT_WAKE_LIMITS.perUid);
    expect(replies?.filter((r) => !r.ok).every((r) => r.reason === `uid ${other.uid} holds ${DEFAULT_WAKE_LIMITS.perUid} wake FIFOs`)).toBe(true);
    const asker = child({ mode: 'ask', times: 1 }, as);
    const { replies: mine } = await asker.message<{ replies?: { ok: boolean }[] }>((m) => m.replies !== undefined);
    expect(mine?.[0]?.ok).toBe(true);
    expect(alive(d.pid)).toBe(true);
  });

  it('a FIFO held open and never read stalls nothing: 3,000 turns later an honest reader has every record', async () => {
    const holder = child({ mode: 'hold' }, as);
    await within(holder.message<{ ready?: boolean }>((m) => m.ready === true), 20_000, 'the holder');
    const sub = await subscribe(d.paths.control);
    try {
      let applied = 0;
      sub.onReadable(() => { applied += sub.poll().applied; });
      sub.poll();
      expect(sub.wait).toBe('fifo');
      const log = await logClient(d.dir);
      // One write per turn: each is a burst the daemon wakes its readers for, the holder's FIFO included.
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
