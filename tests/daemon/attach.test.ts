// Attached UIs: whose processes the every-process scan may list, and when a UI may stop the daemon it started.
import { describe, expect, it } from 'vitest';
import { createAttachments } from '../../src/daemon/attach.js';
import { scoped, ALL_PROCESSES_MAX } from '../../src/daemon/collectors.js';
import type { ControlConnection } from '../../src/daemon/control-conn.js';
import { parseRequest } from '../../src/protocol/requests.js';
import type { ProcessInfo } from '../../src/state/events.js';
import { initialState } from '../../src/state/reducer.js';

function conn(): ControlConnection & { sent: unknown[] } {
  const sent: unknown[] = [];
  return { sent, send: (v) => { sent.push(v); return true; }, sendLine: (b) => { sent.push(JSON.parse(b.toString())); return true; }, becomeFeed: () => {}, becomeFramedFeed: () => {} };
}

const peer = (uid: number, pid = 1000 + uid) => ({ uid, gid: uid, pid });

function setup(daemonUid = 0) {
  const stops: string[] = [];
  let changes = 0;
  const a = createAttachments({ current: () => initialState(), uid: daemonUid, stop: (why) => stops.push(why), changed: () => { changes++; } });
  return { a, stops, changes: () => changes };
}

const proc = (pid: number, uid: number, role: ProcessInfo['role']): ProcessInfo => ({
  pid, ppid: 1, pgid: pid, uid, user: `u${uid}`, state: 'S', cpuPercent: 0, rssBytes: 0, startedAt: 0, command: `cmd ${pid}`, role, drvPath: null,
});

describe('attach: the every-process scope', () => {
  it('a non-root UI adds only its own processes; root adds everyone\'s; closing takes the wish away', () => {
    const { a, changes } = setup();
    const alice = conn();
    const root = conn();
    expect(a.scope()).toBeNull();
    a.attach(alice, peer(1001), true);
    expect(a.scope()).toEqual({ everyone: false, uids: new Set([1001]) });
    expect(alice.sent).toEqual([{ ok: true, op: 'attach', everyone: false }]);
    a.attach(root, peer(0), true);
    expect(a.scope()?.everyone).toBe(true);
    expect(root.sent).toEqual([{ ok: true, op: 'attach', everyone: true }]);
    a.attach(root, peer(0), false);
    expect(a.scope()).toEqual({ everyone: false, uids: new Set([1001]) });
    a.closed(alice);
    expect(a.scope()).toBeNull();
    expect(changes()).toBe(4);
  });

  it('scoped(): the Nix forest always, other users\' processes only for the scope, at most ALL_PROCESSES_MAX', () => {
    const all = [proc(1, 0, 'nix-daemon'), proc(2, 30001, 'builder'), proc(3, 1001, 'other'), proc(4, 1002, 'other'), proc(5, 0, 'other')];
    expect(scoped(all, { everyone: false, uids: new Set([1001]) }).map((p) => p.pid)).toEqual([1, 2, 3]);
    expect(scoped(all, { everyone: true, uids: new Set() }).map((p) => p.pid)).toEqual([1, 2, 3, 4, 5]);
    const many = Array.from({ length: ALL_PROCESSES_MAX + 50 }, (_, i) => proc(10 + i, 1001, 'other'));
    expect(scoped([all[0]!, ...many], { everyone: true, uids: new Set() })).toHaveLength(ALL_PROCESSES_MAX);
  });
});

describe('attach: stop-if-alone', () => {
  it('refuses another user, refuses while another UI or a feed is open, stops once alone', () => {
    const { a, stops } = setup(0);
    const mine = conn();
    const other = conn();
    a.attach(mine, peer(0), false);
    const outsider = conn();
    a.stopIfAlone(outsider, peer(1001));
    expect(outsider.sent).toEqual([{ ok: false, op: 'stop-if-alone', reason: 'only the user running the daemon may stop it' }]);
    a.attach(other, peer(1001), false);
    a.stopIfAlone(mine, peer(0));
    expect(mine.sent.at(-1)).toEqual({ ok: false, op: 'stop-if-alone', reason: '1 other UI is attached' });
    a.closed(other);
    const feed = conn();
    a.feedOpened(feed);
    a.stopIfAlone(mine, peer(0));
    expect(mine.sent.at(-1)).toEqual({ ok: false, op: 'stop-if-alone', reason: '1 nix-btm run feed is open' });
    a.closed(feed);
    expect(stops).toEqual([]);
    a.stopIfAlone(mine, peer(0));
    expect(mine.sent.at(-1)).toEqual({ ok: true, op: 'stop-if-alone' });
    expect(stops).toHaveLength(1);
  });

  it('a daemon run by a user may be stopped by that user', () => {
    const { a, stops } = setup(1001);
    const c = conn();
    a.attach(c, peer(1001), false);
    a.stopIfAlone(c, peer(1001));
    expect(stops).toHaveLength(1);
  });
});

describe('requests: attach and stop-if-alone are shape-checked', () => {
  it('attach needs a boolean "all"', () => {
    expect(parseRequest({ op: 'attach', all: true })).toEqual({ ok: true, value: { op: 'attach', all: true } });
    for (const all of [undefined, 1, 'yes', null, {}]) {
      expect(parseRequest({ op: 'attach', all })).toEqual({ ok: false, op: 'attach', reason: 'attach needs a boolean "all"' });
    }
  });
  it('stop-if-alone takes nothing else', () => {
    expect(parseRequest({ op: 'stop-if-alone', extra: 5 })).toEqual({ ok: true, value: { op: 'stop-if-alone' } });
  });
});
