// A job's fetch plan is appended to in place, as its build plan is: copied per item, "these 40000 paths will be
// fetched" (a big closure, or any user's 4 MB of lines on the log socket) cost the daemon's main thread 20 s,
// quadratic in the items. The header and item lines are as in the real capture daemon-substitute.jsonl.
import { describe, expect, it } from 'vitest';
import { createDecoder } from '../../src/ingest/decode.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import type { State } from '../../src/state/model.js';

describe('a fetch plan of 50,000 paths', () => {
  it('keeps every path, in order, in one array shared by the job’s versions (O(1) per path)', () => {
    const decoder = createDecoder();
    let state: State = reduce(initialState(), { kind: 'source-open', at: null, source: 's', info: { via: 'socket', pid: 7, uid: 1000, user: 'u', command: 'nix' } });
    const line = (msg: string): void => { state = reduce(state, { kind: 'nix', at: null, source: 's', record: decoder.decode(JSON.stringify({ action: 'msg', level: 3, msg })) }); };
    const n = 50_000;
    line(`these ${n} paths will be fetched (1.00 MiB download, 4.00 MiB unpacked):`);
    const first = state.jobs.get('s')!.fetchPlan;
    for (let i = 0; i < n; i++) line(`  /nix/store/${String(i).padStart(32, '0')}-p-${i}`);
    const plan = state.jobs.get('s')!.fetchPlan;
    expect(plan).toBe(first);
    expect(plan).toHaveLength(n);
    expect(plan[n - 1]).toBe(`/nix/store/${String(n - 1).padStart(32, '0')}-p-${n - 1}`);
  });
});
