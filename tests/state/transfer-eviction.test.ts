// Finished transfers of closed jobs are forgotten like their derivations (derivations.ts evict): kept forever, every
// substitution since the daemon started, or CopyPath starts a user forged connection after connection, stayed in
// the daemon's state and in every hello's snapshot. SYNTHETIC records (a CopyPath start and stop per source).
import { describe, expect, it } from 'vitest';
import type { SourceInfo } from '../../src/state/events.js';
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
