// Finished transfers of closed jobs are forgotten like their derivations (derivations.ts evict), and forgotten jobs
// are no longer named by their derivations. Transfers kept forever: every
// substitution since the daemon started, or CopyPath starts a user forged connection after connection, stayed in
// the daemon's state and in every hello's snapshot. SYNTHETIC records (a CopyPath start and stop per source).
import { describe, expect, it } from 'vitest';
import type { SourceInfo } from '../../src/state/events.js';
import { createDecoder } from '../../src/ingest/decode.js';
import { defaultLimits, type State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';

const info: SourceInfo = { via: 'socket', pid: 7, uid: 1000, user: 'u', command: 'nix' };
const path = (i: number): string => `/nix/store/${String(i).padStart(32, '0')}-p-${i}`;

function copy(state: State, source: string, i: number, close: boolean): State {
  state = reduce(state, { kind: 'source-open', at: i, source, info });
  state = reduce(state, { kind: 'nix', at: i, source, record: { kind: 'start', id: '1', level: 4, type: 100, text: 'copying', parent: '0', fields: [path(i), 'https://cache.nixos.org', 'local'] } });
  state = reduce(state, { kind: 'nix', at: i, source, record: { kind: 'stop', id: '1' } });
  return close ? reduce(state, { kind: 'source-close', at: i, source, exitCode: 0, reason: 'eof' }) : state;
}

describe('transfers of closed jobs', () => {
  it('are kept as many as finished derivations, oldest forgotten first; a running job’s are kept', () => {
    let state = initialState({ ...defaultLimits, finishedDerivations: 100 });
    state = copy(state, 'running', 0, false);
    for (let i = 1; i <= 1000; i++) state = copy(state, `s${i}`, i, true);
    expect(state.transfers.size).toBeLessThanOrEqual(110);
    expect(state.transfers.size).toBeGreaterThanOrEqual(100);
    const whats = [...state.transfers.values()].map((t) => t.what);
    expect(whats).toContain(path(0));
    expect(whats).toContain(path(1000));
    expect(whats).not.toContain(path(1));
  });
});

describe('derivations of forgotten jobs', () => {
  it('no longer name them: a derivation planned by every connection names only the jobs still kept', () => {
    const decoder = createDecoder();
    let state = initialState({ ...defaultLimits, closedJobs: 20 });
    const drv = '/nix/store/00000000000000000000000000000001-victim.drv';
    for (let i = 0; i < 500; i++) {
      const source = `s${i}`;
      state = reduce(state, { kind: 'source-open', at: i, source, info });
      for (const msg of ['these 1 derivations will be built:', `  ${drv}`]) {
        state = reduce(state, { kind: 'nix', at: i, source, record: decoder.decode(JSON.stringify({ action: 'msg', level: 3, msg })) });
      }
      state = reduce(state, { kind: 'source-close', at: i, source, exitCode: 0, reason: 'eof' });
    }
    const jobs = state.derivations.get(drv)!.jobs;
    expect(jobs.length).toBeLessThanOrEqual(23);
    expect(jobs.every((s) => state.jobs.has(s))).toBe(true);
    expect(jobs).toContain('s499');
  });
});
