// A BuildResult's status is any peer's text (result 110 on the log socket): names of Object.prototype members must
// not find its members in the table of statuses (a derivation whose status was a function, dropped by a snapshot's
// JSON; tests/e2e/atk8-wire.test.ts does it as a real user against a real daemon). SYNTHETIC records, as in
// owners.test.ts: no Determinate Nix runs here.
import { describe, expect, it } from 'vitest';
import { MARK } from '../../src/state/marks.js';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { fromSnapshot, toSnapshot } from '../../src/state/snapshot.js';

const drv = '/nix/store/00000000000000000000000000000003-z.drv';

function run(payload: unknown): State {
  let state = reduce(initialState(), { kind: 'source-open', at: null, source: 's', info: { via: 'socket', pid: 7, uid: 1000, user: 'u', command: 'nix' } });
  for (const record of [
    { kind: 'start', id: '9', level: 0, type: 104, text: '', parent: '0', fields: [] },
    { kind: 'start', id: '1', level: 3, type: 105, text: '', parent: '0', fields: [drv, '', 1, 1] },
    { kind: 'result', id: '1', type: 110, fields: [], payload },
  ] as const) state = reduce(state, { kind: 'nix', at: 1, source: 's', record });
  return state;
}

describe('BuildResult statuses named like Object.prototype members', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('%s: a status of the model, the same after a snapshot', (status) => {
    const ok = run({ success: true, status }).derivations.get(drv);
    expect(ok?.status).toBe('running'); // an unknown success says nothing
    const failed = run({ success: false, status });
    expect(failed.derivations.get(drv)).toMatchObject({ status: 'failed', reason: status });
    const back = fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(failed))) as ReturnType<typeof toSnapshot>);
    expect(back.derivations.get(drv)?.status).toBe('failed');
    expect(Object.keys(MARK)).toContain(ok?.status);
  });
});
