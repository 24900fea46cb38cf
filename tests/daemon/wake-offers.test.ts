// The daemon's wake FIFOs (src/daemon/wake-offers.ts) over a real ring writer: where they are made, for whom, and
// how many one uid or everyone together may hold; the daemon itself is tried by real users in
// tests/e2e/wake-fifo.test.ts.
import { closeSync, constants, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { wakeOffers } from '../../src/daemon/wake-offers.js';
import { createRing, type RingWriter } from '../../src/ring/ring.js';

const self = process.getuid?.() ?? 0;
const me = { pid: 1, uid: self, gid: process.getgid?.() ?? 0 };
const dirs: string[] = [];
const writers: RingWriter[] = [];
afterEach(() => {
  for (const w of writers.splice(0)) w.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setUp(limits = { perUid: 3, total: 5 }): { dir: string; writer: RingWriter; offers: ReturnType<typeof wakeOffers> } {
  const dir = mkdtempSync(join(tmpdir(), 'nix-btm-wake-'));
  dirs.push(dir);
  const writer = createRing({ path: join(dir, 'events.ring'), capacityBytes: 1 << 16, maxRecordBytes: 1024 });
  writers.push(writer);
  return { dir, writer, offers: wakeOffers(dir, () => writer, limits) };
}

const pathOf = (o: { path: string } | { refused: string }): string => {
  if ('refused' in o) throw new Error(`refused: ${o.refused}`);
  return o.path;
};

describe('wake offers', () => {
  it('a FIFO per asker of the daemon’s own user, 0600, in a private directory, unguessable; another user is refused', () => {
    const { dir, offers } = setUp();
    expect(statSync(join(dir, 'wake')).mode & 0o777).toBe(0o711);
    const a = pathOf(offers.offer(me));
    const b = pathOf(offers.offer(me));
    expect(a).not.toBe(b);
    expect(a.startsWith(join(dir, 'wake') + '/')).toBe(true);
    expect(a).toMatch(/\/\d+-[0-9a-f]{24}$/);
    const st = statSync(a);
    expect(st.isFIFO()).toBe(true);
    expect({ uid: st.uid, mode: st.mode & 0o777 }).toEqual({ uid: self, mode: 0o600 });
    // The holder of a pipe's read end can keep its mutex and make the daemon's write() sleep, unkillable.
    expect(offers.offer({ pid: 1, uid: self + 4242, gid: 4242 })).toEqual({
      refused: 'wake FIFOs are for the daemon\'s own user only (others wait on the ring\'s futex)' });
    expect(offers.counts).toEqual({ offered: 2, adopted: 0 });
  });

  it('one uid holds at most perUid (offered or adopted), everyone at most total', async () => {
    const { offers } = setUp({ perUid: 3, total: 2 });
    const held = pathOf(offers.offer(me));
    const fd = openSync(held, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const deadline = Date.now() + 5000;
      while (offers.counts.adopted === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(offers.counts).toEqual({ offered: 0, adopted: 1 });
      pathOf(offers.offer(me));
      expect(offers.offer(me)).toEqual({ refused: '2 wake FIFOs are open' });
    } finally {
      closeSync(fd);
    }
    const few = setUp({ perUid: 2, total: 5 }).offers;
    pathOf(few.offer(me));
    pathOf(few.offer(me));
    expect(few.offer(me)).toEqual({ refused: `uid ${self} holds 2 wake FIFOs` });
  });

  it('refuses a peer it cannot name; a new daemon starts with an empty directory; close removes it', () => {
    const { dir, offers } = setUp();
    expect(offers.offer(null)).toEqual({ refused: 'the peer is unknown (no SO_PEERCRED)' });
    pathOf(offers.offer(me));
    expect(readdirSync(join(dir, 'wake')).length).toBe(1);
    const writer = createRing({ path: join(dir, 'events2.ring'), capacityBytes: 1 << 16, maxRecordBytes: 1024 });
    writers.push(writer);
    const again = wakeOffers(dir, () => writer);
    expect(readdirSync(join(dir, 'wake'))).toEqual([]);
    again.close();
    expect(() => statSync(join(dir, 'wake'))).toThrow(/ENOENT/);
  });
});
