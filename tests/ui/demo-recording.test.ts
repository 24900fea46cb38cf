import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../src/ingest/decode.js';
import { buildUsersFromLog, parseElapsed, parsePsCapture, roleOf, capturedProcesses } from '../../src/ingest/ps-capture.js';
import { spread } from '../../src/feeds/demo-timeline.js';
import { storePathName } from '../../src/state/text.js';
import { LOG, PS, recording, stateAt } from './helpers.js';

describe('ps capture', () => {
  const blocks = parsePsCapture(PS);

  it('reads every block of the real capture with its time', () => {
    expect(blocks).toHaveLength(25);
    expect(blocks[0]!.at).toBe(1795546126406);
    expect(blocks[24]!.at).toBe(1795546139021);
    expect(blocks[1]!.rows.find((r) => r.pid === 16256)).toEqual({
      pid: 16256, ppid: 16255, user: 'nixbld3', cpuPercent: 41, rssBytes: 1396 * 1024, elapsedMs: 0, command: 'yes',
    });
  });

  it('parses ps elapsed times', () => {
    expect(parseElapsed('01:17:06')).toBe(4626_000);
    expect(parseElapsed('2-03:04:05')).toBe(((2 * 24 + 3) * 3600 + 4 * 60 + 5) * 1000);
    expect(parseElapsed('nonsense')).toBeNull();
  });

  it('gives roles from the command and the build user', () => {
    const row = { pid: 2, ppid: 1, user: 'root', cpuPercent: 0, rssBytes: 0, elapsedMs: 0, command: '/usr/bin/nix-daemon' };
    expect(roleOf(row, undefined)).toBe('nix-daemon');
    expect(roleOf({ ...row, ppid: 5 }, 'nix-daemon')).toBe('daemon-worker');
    expect(roleOf({ ...row, user: 'nixbld1', command: 'sh -c x' }, 'daemon-worker')).toBe('builder');
    expect(roleOf({ ...row, user: 'nixbld1', command: 'yes' }, 'builder')).toBe('builder-child');
    expect(roleOf({ ...row, command: 'nix-build dag.nix' }, 'other')).toBe('client');
    expect(roleOf({ ...row, command: 'bash' }, 'other')).toBe('other');
  });

  it('ties each builder to the derivation its build user was given, as the -vvv log says', () => {
    const users = buildUsersFromLog(LOG.split('\n').map(decodeLine));
    expect(users.uidByUser.get('nixbld1')).toBe(999);
    const procs = capturedProcesses(blocks, users).flat();
    const builders = new Map(procs.filter((p) => p.role === 'builder').map((p) => [p.pid, p]));
    expect(builders.size).toBe(16);
    // Leaf builders name their own source tarball in their command line: the tie agrees with it.
    for (const b of builders.values()) {
      const fake = /fake-(\S+)\.tar\.gz/.exec(b.command)?.[1];
      if (fake) expect(storePathName(b.drvPath!)).toBe(fake);
    }
    expect(builders.get(16231)?.pgid).toBe(16231);
  });
});

describe('demo recording', () => {
  it('spreads lines linearly between anchors', () => {
    expect(spread(5, [{ line: 0, at: 0 }, { line: 4, at: 400 }])).toEqual([0, 100, 200, 300, 400]);
    expect(spread(3, [{ line: 0, at: 0 }, { line: 1, at: 500 }, { line: 1, at: 9 }, { line: 2, at: 100 }])).toEqual([0, 500, 500]);
  });

  it('plays the real run at its recorded pace, ending with all 16 derivations built', () => {
    const rec = recording();
    expect(rec.endAt - rec.startAt).toBe(12615);
    const times = rec.events.map((e) => e.at ?? 0);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const end = stateAt(Infinity);
    expect([...end.derivations.values()].map((d) => d.status)).toEqual(Array(16).fill('built'));
    expect([...end.jobs.values()][0]?.info).toMatchObject({ pid: 16115, user: 'root' });
  });
});
