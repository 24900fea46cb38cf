// The daemon's wake FIFOs (src/daemon/wake-offers.ts) over a real ring writer: where they are made, whose they are,
// and what one uid or everyone together may hold; the daemon itself is attacked by real users in
// tests/e2e/wake-fifo.test.ts.
import { closeSync, constants, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { wakeOffers } from '../../src/daemon/wake-offers.js';
import { createRing, type RingWriter } from '../../src/ring/ring.js';

const isRoot = process.getuid?.() === 0;
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
  it.skipIf(!isRoot)('a FIFO per asker in a private directory, read by the asker (SO_PEERCRED) alone, written by the daemon’s group alone, unguessable', () => {
    const { dir, offers } = setUp();
    expect(statSync(join(dir, 'wake')).mode & 0o777).toBe(0o711);
    const a = pathOf(offers.offer({ pid: 1, uid: 4242, gid: 4343 }));
    const b = pathOf(offers.offer({ pid: 1, uid: 4242, gid: 4343 }));
    expect(a).not.toBe(b);
    expect(a.startsWith(join(dir, 'wake') + '/')).toBe(true);
    expect(a).toMatch(/\/\d+-[0-9a-f]{24}$/);
    const st = statSync(a);
    expect(st.isFIFO()).toBe(true);
    // 0420: a root daemon without CAP_DAC_OVERRIDE (the NixOS unit) opens it through its group, never as its owner.
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).toEqual({ uid: 4242, gid: process.getgid?.(), mode: 0o420 });
    // The daemon's own user (root's UI) gets a plain 0600 FIFO of its own.
    const mine = statSync(pathOf(offers.offer({ pid: 1, uid: 0, gid: 0 })));
    expect({ uid: mine.uid, mode: mine.mode & 0o777 }).toEqual({ uid: 0, mode: 0o600 });
    expect(offers.counts).toEqual({ offered: 3, adopted: 0 });
  });

  it.skipIf(!isRoot)('one uid holds at most perUid (offered or adopted), everyone at most total; root is held only to the total', async () => {
    const { offers } = setUp();
    const user = { pid: 1, uid: 4242, gid: 4242 };
    const held = [pathOf(offers.offer(user)), pathOf(offers.offer(user))];
    // One of them adopted: it still counts for its uid.
    const fd = openSync(held[0] ?? '', constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const deadline = Date.now() + 5000;
      while (offers.counts.adopted === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(offers.counts).toEqual({ offered: 1, adopted: 1 });
      pathOf(offers.offer(user));
      expect(offers.offer(user)).toEqual({ refused: 'uid 4242 holds 3 wake FIFOs' });
      pathOf(offers.offer({ pid: 1, uid: 4343, gid: 4343 }));
      pathOf(offers.offer({ pid: 1, uid: 0, gid: 0 }));
      expect(offers.offer({ pid: 1, uid: 0, gid: 0 })).toEqual({ refused: '5 wake FIFOs are open' });
    } finally {
      closeSync(fd);
    }
  });

  it('refuses a peer it cannot name; a new daemon starts with an empty directory; close removes it', () => {
    const { dir, offers } = setUp();
    expect(offers.offer(null)).toEqual({ refused: 'the peer is unknown (no SO_PEERCRED)' });
    const self = process.getuid?.() ?? 0;
    pathOf(offers.offer({ pid: 1, uid: self, gid: process.getgid?.() ?? 0 }));
    expect(readdirSync(join(dir, 'wake')).length).toBe(1);
    const writer = createRing({ path: join(dir, 'events2.ring'), capacityBytes: 1 << 16, maxRecordBytes: 1024 });
    writers.push(writer);
    const again = wakeOffers(dir, () => writer);
    expect(readdirSync(join(dir, 'wake'))).toEqual([]);
    again.close();
    expect(() => statSync(join(dir, 'wake'))).toThrow(/ENOENT/);
  });
});
