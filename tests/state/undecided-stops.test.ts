// Build stops that wait for Nix's word (attribution.ts): behind a failure Nix has not named, every stop waits, and
// each costs O(1): a stop, a progress record or another build's named outcome does not walk the stops already
// waiting. Before, each walked them all (the helper's attack: 8,000 stops behind one unnamed failure, 1.3 MB of any
// user's lines, took 11 s of the daemon's main thread). SYNTHETIC records, as an attacker writes them: one Builds
// activity whose counters say one built and one failed, then N Build activities started and stopped.
import { describe, expect, it } from 'vitest';
import type { BtmEvent, SourceInfo } from '../../src/state/events.js';
import type { NixRecord } from '../../src/state/nix.js';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';

const info: SourceInfo = { via: 'socket', pid: 7, uid: 1000, user: 'u', command: 'nix build' };
const drv = (i: number): string => `/nix/store/${String(i).padStart(32, '0')}-b-${i}.drv`;
const nix = (record: NixRecord): BtmEvent => ({ kind: 'nix', at: 1000, source: 's', record });
const progress = (done: number, failed: number): BtmEvent =>
  nix({ kind: 'result', id: '1', type: 105, fields: [done, 100_000, 0, failed] });

function stops(n: number): { state: State; first: unknown[] } {
  let state = reduce(initialState(), { kind: 'source-open', at: 1, source: 's', info });
  state = reduce(state, nix({ kind: 'start', id: '1', level: 0, type: 104, text: '', parent: '0', fields: [] }));
  state = reduce(state, progress(1, 1));
  const first: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const id = String(10 + i);
    state = reduce(state, nix({ kind: 'start', id, level: 3, type: 105, text: `building '${drv(i)}'`, parent: '1', fields: [drv(i), '', 1, 1] }));
    state = reduce(state, nix({ kind: 'stop', id }));
    if (i >= 2) state = reduce(state, progress(1 + (i % 2), 1)); // counters moving, the failure still unnamed
    first.push(state.derivations.get(drv(0)));
  }
  return { state, first };
}

describe('build stops behind an unnamed failure', () => {
  it('wait in O(1) each: the first stop\'s derivation is not touched again by later stops or progress', () => {
    const { state, first } = stops(3000);
    expect(state.jobs.get('s')?.undecided).toHaveLength(3000);
    expect(new Set(first).size).toBe(1); // the same object from its stop to the 3000th
    expect(state.derivations.get(drv(0))?.status).toBe('built'); // the likelier outcome, inferred
    expect(state.derivations.get(drv(0))?.basis).toBe('inferred');
  });

  it('are decided at the job\'s end as before: the pool in stop order, the rest killed by the failure', () => {
    let { state } = stops(50);
    state = reduce(state, progress(1, 1));
    state = reduce(state, { kind: 'source-close', at: 2000, source: 's', exitCode: 1, reason: 'eof' });
    const statuses = Array.from({ length: 50 }, (_, i) => state.derivations.get(drv(i))?.status);
    expect(statuses.slice(0, 2)).toEqual(['built', 'failed']);
    expect(new Set(statuses.slice(2))).toEqual(new Set(['cancelled']));
    expect(state.jobs.get('s')?.undecided).toEqual([]);
  });

  it('are decided at once when the failure is named and the pool holds no other', () => {
    let { state } = stops(20);
    state = reduce(state, progress(0, 1));
    state = reduce(state, nix({ kind: 'msg', level: 0, msg: `error: builder for '${drv(7)}' failed with exit code 1` }));
    expect(state.derivations.get(drv(7))?.status).toBe('failed');
    expect(state.derivations.get(drv(7))?.basis).toBe('nix');
    const others = Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 7).map((i) => state.derivations.get(drv(i))?.status);
    expect(new Set(others)).toEqual(new Set(['cancelled']));
    expect(state.jobs.get('s')?.undecided).toEqual([]);
  });

  it('named one by one in stop order, 8,000 behind 8,000 waiting stops: the waiting list is not searched nor rewritten per name', () => {
    let { state } = stops(8000);
    // 8,000 failures in the counters, so the pool keeps one unnamed until the last name: every stop waits throughout.
    state = reduce(state, progress(0, 8000));
    const waiting = state.jobs.get('s')!.undecided;
    for (let i = 0; i < 7999; i++) {
      state = reduce(state, nix({ kind: 'msg', level: 0, msg: `error: builder for '${drv(i)}' failed with exit code 1` }));
    }
    // The same list, as long as before: each name cost O(1) (a search and a splice per name was quadratic: 1.4 s).
    expect(state.jobs.get('s')!.undecided).toBe(waiting);
    expect(waiting).toHaveLength(8000);
    expect(state.derivations.get(drv(3999))).toMatchObject({ status: 'failed', basis: 'nix' });
    // The last failure named: the pool is empty, the list is walked once and emptied; every outcome stands.
    state = reduce(state, nix({ kind: 'msg', level: 0, msg: `error: builder for '${drv(7999)}' failed with exit code 1` }));
    expect(state.jobs.get('s')!.undecided).toEqual([]);
    const statuses = new Set(Array.from({ length: 8000 }, (_, i) => state.derivations.get(drv(i))?.status));
    expect(statuses).toEqual(new Set(['failed']));
  });

  it('a build named, started again and stopped again waits once, as its last stop: the counters are handed out once for it', () => {
    let { state } = stops(3);
    state = reduce(state, progress(1, 2));
    state = reduce(state, nix({ kind: 'msg', level: 0, msg: `error: builder for '${drv(1)}' failed with exit code 1` }));
    // drv(1) again (a new Build activity), stopped behind the failure still unnamed.
    state = reduce(state, nix({ kind: 'start', id: '99', level: 3, type: 105, text: `building '${drv(1)}'`, parent: '1', fields: [drv(1), '', 1, 1] }));
    state = reduce(state, nix({ kind: 'stop', id: '99' }));
    state = reduce(state, progress(2, 2));
    state = reduce(state, { kind: 'source-close', at: 2000, source: 's', exitCode: 1, reason: 'eof' });
    const job = state.jobs.get('s')!;
    expect(job.undecided).toEqual([]);
    // Two built in the counters and one failure unnamed, for drv(0), drv(2) and drv(1)'s second run: handed out in
    // stop order, each stop once. Walked twice, drv(1)'s first (named) stop took a "built" that was drv(2)'s.
    expect(job.attributed).toEqual({ done: 2, failed: 1 });
    expect([0, 2, 1].map((i) => state.derivations.get(drv(i))?.status)).toEqual(['built', 'built', 'failed']);
  });
});
