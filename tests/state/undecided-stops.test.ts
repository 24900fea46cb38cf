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
});
