// The event ring of a real root daemon (--group) attacked by a real member of that group: it cannot write, truncate
// or replace the ring (issue 14: a forged event in root's UI, then "ring ... is corrupt" in every UI, and SIGBUS in
// the daemon after `truncate -s 4096`), while it still reads every event, woken through its read-only mapping.
// And a ring damaged anyway (by its owner) costs a subscription a re-snapshot, never an exception.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { subscribe } from '../../src/client/daemon-client.js';
import { buildChildren, cleanChildren, spawnChild, type Child } from '../ring/helpers.js';
import { alive, closeSocket, logClient, startDaemon, stopAll, within, write, type Daemon } from './daemon-helpers.js';

const isRoot = process.getuid?.() === 0;
const GROUP = 'btm-native-g';
const MEMBER = 'btm-native-m';

/** The group and a member created for this test (kept: useradd is cheap), as {uid, gid} for spawn. */
function member(): { uid: number; gid: number } {
  const has = (db: string, name: string): boolean => {
    try {
      execFileSync('getent', [db, name]);
      return true;
    } catch {
      return false;
    }
  };
  if (!has('group', GROUP)) execFileSync('groupadd', [GROUP]);
  if (!has('passwd', MEMBER)) execFileSync('useradd', ['-M', '-N', '-g', GROUP, '-s', '/usr/sbin/nologin', MEMBER]);
  const id = (flag: string): number => Number(execFileSync('id', [flag, MEMBER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

const record = (id: number, text: string): string =>
  `@nix ${JSON.stringify({ action: 'start', id, level: 3, type: 0, text, fields: [], parent: 0 })}\n`;

let out = '';
const children: Child[] = [];

beforeAll(() => {
  out = buildChildren();
});

afterAll(async () => {
  for (const c of children) c.process.kill('SIGKILL');
  cleanChildren(out);
  await stopAll();
});

describe.skipIf(!isRoot)('ring of a root daemon against a member of its group (needs root: creates users, runs a root daemon)', () => {
  let d: Daemon;
  let ring = '';
  let as = { uid: 0, gid: 0 };

  beforeAll(async () => {
    as = member();
    d = await startDaemon({ group: GROUP, ringMiB: 1 });
    ring = join(d.dir, `events.${d.pid}.ring`);
  });

  it('the member can neither write, truncate nor replace the ring; the daemon keeps publishing', async () => {
    expect(statSync(ring).mode & 0o777).toBe(0o640);
    expect(statSync(ring).gid).toBe(as.gid);
    const c = spawnChild(out, 'tamper', { path: ring }, as);
    children.push(c);
    const { tried } = await c.message<{ tried?: Record<string, string> }>((m) => m.tried !== undefined);
    expect(tried).toEqual({ openForWriting: 'EACCES', truncate: 'EACCES', unlink: 'EACCES', renameOver: 'EACCES', createBeside: 'EACCES' });
    expect(statSync(ring).size).toBe(4096 + 2 ** 20);
    // Still alive and still publishing: a peer's activity reaches a fresh subscription.
    const log = await logClient(d.dir);
    await write(log, record(1, 'after the tamper attempt'));
    await closeSocket(log);
    expect(alive(d.pid)).toBe(true);
  });

  it('the member reads every event through its read-only mapping, woken by the daemon', async () => {
    const c = spawnChild(out, 'events', { path: ring, count: 3 }, as);
    children.push(c);
    await c.message<{ ready?: boolean }>((m) => m.ready === true);
    const log = await logClient(d.dir);
    await write(log, record(7, 'seen by the member'));
    await closeSocket(log);
    // Every scan is an event too (refresh 250 ms): three events arrive within a second or two.
    const { result } = await within(c.message<{ result?: { count: number; kinds: string[]; undecodable: number } }>(
      (m) => m.result !== undefined), 20_000, 'the member reader');
    expect(result).toMatchObject({ count: 3, undecodable: 0 });
    expect(result?.kinds.every((k) => k !== 'undefined')).toBe(true);
  });

  it('a ring damaged in place (by its owner) makes a subscription re-snapshot instead of throwing', async () => {
    const damage: string[] = [];
    let resets = 0;
    const f = await subscribe(d.paths.control, { onDamage: (why) => damage.push(why), onReset: () => resets++ });
    try {
      f.poll();
      // Let the daemon publish a few scans the subscription has not read, then put garbage over the whole data area:
      // the record at the subscription's position no longer carries its sequence number.
      await new Promise((resolve) => setTimeout(resolve, 800));
      const fd = openSync(ring, 'r+');
      writeSync(fd, Buffer.alloc(2 ** 20, 0xa5), 0, 2 ** 20, 4096);
      closeSync(fd);
      const deadline = Date.now() + 20_000;
      while (damage.length === 0 && Date.now() < deadline) {
        expect(() => f.poll()).not.toThrow();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(damage[0]).toMatch(/^ring .* is corrupt after sequence \d+$/);
      while (resets === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(resets).toBeGreaterThan(0);
      // After the re-snapshot the subscription reads new records again, and the daemon survived its damaged ring.
      let applied = 0;
      while (applied === 0 && Date.now() < deadline) {
        applied += f.poll().applied;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(applied).toBeGreaterThan(0);
      expect(alive(d.pid)).toBe(true);
    } finally {
      f.close();
    }
  });
});
