// One user's flood of short connections (each a job that opens and closes) or of error messages must not push every
// other user's finished jobs and errors out of the state every UI shows: the oldest of the uids over their share go
// first (src/state/fair.ts).
import { describe, expect, it } from 'vitest';
import type { BtmEvent, SourceInfo } from '../../src/state/events.js';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { fairDrops } from '../../src/state/fair.js';

const info = (uid: number, user: string): SourceInfo => ({ via: 'socket', pid: 1000 + uid, uid, user, command: 'nix build' });
const error = (source: string, n: number, at: number): BtmEvent => ({ kind: 'nix', at, source, record: { kind: 'msg', level: 0, msg: `error: ${source} failed ${n}` } });

function jobAndClose(s: State, source: string, who: SourceInfo, at: number, errors = 0): State {
  s = reduce(s, { kind: 'source-open', at, source, info: who });
  for (let i = 0; i < errors; i++) s = reduce(s, error(source, i, at));
  return reduce(s, { kind: 'source-close', at: at + 1, source, exitCode: 1, reason: 'eof' });
}

describe('closed jobs and messages past their limits', () => {
  it('an attacker churning 600 connections with 600 errors evicts its own, not root\'s or another user\'s', () => {
    let s = initialState();
    let at = 1000;
    for (let i = 0; i < 20; i++) s = jobAndClose(s, `root-${i}`, info(0, 'root'), at++, 1);
    for (let i = 0; i < 7; i++) s = jobAndClose(s, `alice-${i}`, info(1001, 'alice'), at++, 1);
    for (let i = 0; i < 600; i++) s = jobAndClose(s, `evil-${i}`, info(1002, 'mallory'), at++, 1);
    const jobsOf = (user: string): number => [...s.jobs.values()].filter((j) => j.info.user === user).length;
    expect(jobsOf('root')).toBe(20);
    expect(jobsOf('alice')).toBe(7);
    expect(s.jobs.size).toBeLessThanOrEqual(s.limits.closedJobs * 1.1);
    const errorsOf = (prefix: string): number => s.messages.filter((m) => m.source.startsWith(prefix)).length;
    expect(errorsOf('root-')).toBe(20);
    expect(errorsOf('alice-')).toBe(7);
    expect(s.messages.length).toBeLessThanOrEqual(s.limits.messages * 1.1);
    expect(s.messagesDropped).toBeGreaterThan(0);
  });

  it('fairDrops: over-share uids lose their oldest first, then age decides; kept order is the items\' own', () => {
    const items = [...['a1', 'a2', 'a3', 'a4', 'a5', 'a6'], 'b1', 'c1'];
    const uid = (x: string): number => x.charCodeAt(0);
    expect([...fairDrops(items, 4, uid)]).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect([...fairDrops(items, 8, uid)]).toEqual([]);
    expect([...fairDrops(['a1', 'b1', 'c1'], 1, uid)]).toEqual(['a1', 'b1']);
  });
});
