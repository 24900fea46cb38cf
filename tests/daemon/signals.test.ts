// Who may signal what: the authorization rules, on a state built by the real reducer from a real capture.
import { describe, expect, it } from 'vitest';
import { authorize, procStartTime } from '../../src/daemon/signals.js';
import type { ProcessInfo } from '../../src/state/events.js';
import { reduce } from '../../src/state/reducer.js';
import { fixture, replay } from '../helpers.js';

async function stateWithBuilder(ownerUid: number) {
  let s = await replay([fixture('log-singleuser-fail-single.jsonl')]);
  const [job] = s.jobs.values();
  s.jobs.set(job!.source, { ...job!, info: { ...job!.info, uid: ownerUid, pid: 4242 } });
  const drvPath = [...s.derivations.keys()][0]!;
  const builder: ProcessInfo = { pid: 5000, ppid: 4000, pgid: 5000, uid: 30001, user: 'nixbld1', state: 'S', cpuPercent: 0,
    rssBytes: 0, startedAt: 1_000_000, command: 'sh -c ...', role: 'builder', drvPath };
  s = reduce(s, { kind: 'proc-scan', at: 1, processes: [builder], host: null });
  return s;
}

const started = () => 1_000_000;
const req = { target: 'build' as const, pid: 5000, startedAt: 1_000_000, signal: 'TERM' as const };

describe('authorize', () => {
  it('lets root signal a builder process group', async () => {
    const s = await stateWithBuilder(1000);
    expect(authorize(req, { pid: 1, uid: 0, gid: 0 }, s, started, 99)).toEqual({ ok: true, pid: 5000, group: true });
  });

  it("lets a user signal the build of that user's own client, and refuses another user", async () => {
    const s = await stateWithBuilder(1000);
    expect(authorize(req, { pid: 2, uid: 1000, gid: 100 }, s, started, 99).ok).toBe(true);
    expect(authorize(req, { pid: 3, uid: 1001, gid: 100 }, s, started, 99))
      .toEqual({ ok: false, reason: 'uid 1001 may only signal builds its own clients started' });
  });

  it('refuses pid 1, the daemon itself, unknown pids, exited and reused pids, and unknown peers', async () => {
    const s = await stateWithBuilder(1000);
    const root = { pid: 1, uid: 0, gid: 0 };
    expect(authorize({ ...req, pid: 1 }, root, s, started, 99)).toEqual({ ok: false, reason: 'refusing to signal pid 1' });
    expect(authorize({ ...req, pid: 99 }, root, s, started, 99)).toEqual({ ok: false, reason: 'refusing to signal the nix-btm daemon itself' });
    expect(authorize({ ...req, pid: 6000 }, root, s, started, 99)).toEqual({ ok: false, reason: 'pid 6000 is not a Nix process nix-btm knows' });
    expect(authorize(req, root, s, () => null, 99)).toEqual({ ok: false, reason: 'pid 5000 has exited' });
    expect(authorize(req, root, s, () => 2_000_000, 99)).toEqual({ ok: false, reason: 'pid 5000 is now a different process (start time changed)' });
    expect(authorize(req, null, s, started, 99)).toEqual({ ok: false, reason: 'cannot tell who is asking (no peer credentials)' });
  });

  it('reads real start times from /proc', () => {
    const t = procStartTime(process.pid);
    expect(t).not.toBeNull();
    expect(Math.abs(t! - (Date.now() - process.uptime() * 1000))).toBeLessThan(5000);
    expect(procStartTime(2 ** 22 + 12345)).toBeNull();
  });
});
