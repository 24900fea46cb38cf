// A plan repeated (Nix printing "these N derivations will be built" again for what it still has to build, or any
// user writing the same lines to the log socket without end) must not grow the job's plan or its "planned" count:
// an item already planned is not added again, and a plan keeps at most MAX_PLAN_ITEMS. The header and item lines
// are as in the real captures (daemon-substitute.jsonl, log-daemon-root-graph-success.jsonl).
import { describe, expect, it } from 'vitest';
import { createDecoder } from '../../src/ingest/decode.js';
import { MAX_PLAN_ITEMS } from '../../src/state/derivations.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import type { State } from '../../src/state/model.js';
import { fromSnapshot, toSnapshot } from '../../src/state/snapshot.js';

function job(): { line: (msg: string) => void; state: () => State; set: (s: State) => void } {
  const decoder = createDecoder();
  let state: State = reduce(initialState(), { kind: 'source-open', at: null, source: 's', info: { via: 'socket', pid: 7, uid: 1000, user: 'u', command: 'nix' } });
  const line = (msg: string): void => { state = reduce(state, { kind: 'nix', at: null, source: 's', record: decoder.decode(JSON.stringify({ action: 'msg', level: 3, msg })) }); };
  return { line, state: () => state, set: (s) => { state = s; } };
}
const drv = (i: number): string => `/nix/store/${String(i).padStart(32, '0')}-p-${i}.drv`;
const path = (i: number): string => `/nix/store/${String(i).padStart(32, '0')}-p-${i}`;

describe('a repeated plan', () => {
  it('lists each derivation once, in the order first planned, also after a snapshot', () => {
    const j = job();
    for (let round = 0; round < 3; round++) {
      j.line('these 3 derivations will be built:');
      for (const i of [1, 2, 3]) j.line(`  ${drv(i)}`);
    }
    expect(j.state().jobs.get('s')!.plan).toEqual([drv(1), drv(2), drv(3)]);
    // A client that started from a snapshot holds the same plan and goes on the same way.
    j.set(fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(j.state())))));
    j.line('these 2 derivations will be built:');
    for (const i of [3, 4]) j.line(`  ${drv(i)}`);
    expect(j.state().jobs.get('s')!.plan).toEqual([drv(1), drv(2), drv(3), drv(4)]);
  });

  it('one fetch plan repeated 1,000 times over keeps its 100 paths once; a plan stops at MAX_PLAN_ITEMS', () => {
    const j = job();
    for (let round = 0; round < 1000; round++) {
      j.line('these 100 paths will be fetched (1.00 MiB download, 4.00 MiB unpacked):');
      for (let i = 0; i < 100; i++) j.line(`  ${path(i)}`);
    }
    expect(j.state().jobs.get('s')!.fetchPlan).toEqual(Array.from({ length: 100 }, (_, i) => path(i)));
    const big = job();
    big.line(`these ${MAX_PLAN_ITEMS + 10} paths will be fetched (1.00 MiB download, 4.00 MiB unpacked):`);
    for (let i = 0; i < MAX_PLAN_ITEMS + 10; i++) big.line(`  ${path(i)}`);
    const plan = big.state().jobs.get('s')!.fetchPlan;
    expect(plan).toHaveLength(MAX_PLAN_ITEMS);
    expect(plan[MAX_PLAN_ITEMS - 1]).toBe(path(MAX_PLAN_ITEMS - 1));
  });
});
