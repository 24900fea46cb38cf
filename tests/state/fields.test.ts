// State fields are defined once (src/state/fields.ts): initial state, the reducer's draft, the UI's frozen copy and
// the snapshot each cover every field of the table, and a frozen copy is out of reach of the reducer's in-place
// updates, inner maps included.
import { describe, expect, it } from 'vitest';
import { replayFiles } from '../../src/ingest/replay.js';
import type { BtmEvent } from '../../src/state/events.js';
import { STATE_FIELDS, type FieldName } from '../../src/state/fields.js';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { fromSnapshot, toSnapshot } from '../../src/state/snapshot.js';
import { freezeState } from '../../src/ui/store.js';
import { fixture } from '../helpers.js';

const NAMES = Object.keys(STATE_FIELDS) as FieldName[];

async function replayed(): Promise<State> {
  const events: BtmEvent[] = [];
  await replayFiles([fixture('log-daemon-root-dag-success-v1.jsonl')], (e) => events.push(e));
  let s = initialState();
  // Cut before the end: activities are still open, so the nested map has entries.
  for (const e of events.slice(0, Math.floor(events.length / 2))) s = reduce(s, e);
  return reduce(s, { kind: 'proc-scan', at: 5, processes: [], host: { hostname: 'h', nixVersion: '2.8', cpuPercent: [1],
    memTotalBytes: 2, memUsedBytes: 1, load: [0, 0, 0] } });
}

describe('state fields, defined once', () => {
  it('initialState has exactly the table\'s fields (and limits)', () => {
    expect(Object.keys(initialState()).sort()).toEqual(['limits', ...NAMES].sort());
  });

  it('the reducer carries every field: an event that changes nothing leaves each one identical', async () => {
    const before = await replayed();
    const seen = { ...before };
    const after = reduce(before, { kind: 'outputs-valid', at: null, drvPath: '/nix/store/none-x.drv', valid: true });
    for (const name of NAMES) {
      if (name === 'eventCount') expect(after.eventCount).toBe(seen.eventCount + 1);
      else expect(Object.is(after[name], seen[name]), name).toBe(true);
    }
  });

  it('a frozen copy does not move when the reducer updates containers in place, inner maps included', async () => {
    let live = await replayed();
    const [source, open] = [...live.activities].find(([, m]) => m.size > 0)!;
    const frozen = freezeState(live);
    const sizes = Object.fromEntries(NAMES.map((n) => [n, (frozen[n] as { size?: number; length?: number })?.size ?? (frozen[n] as unknown[])?.length]));
    const openBefore = frozen.activities.get(source)!.size;
    live = reduce(live, { kind: 'nix', at: 9, source, record: { kind: 'start', id: '999999', level: 3, type: 0, text: 'more', parent: '0', fields: [] } });
    live = reduce(live, { kind: 'source-open', at: 9, source: 'new', info: { via: 'socket', pid: 1, uid: 0, user: 'root', command: 'x' } });
    expect(open.size).toBe(openBefore + 1); // the reducer did update the inner map in place
    expect(frozen.activities.get(source)!.size).toBe(openBefore);
    expect(live.jobs.size).toBe(frozen.jobs.size + 1);
    for (const n of NAMES) expect((frozen[n] as { size?: number; length?: number })?.size ?? (frozen[n] as unknown[])?.length, n).toBe(sizes[n]);
  });

  it('a snapshot carries every field and comes back equal', async () => {
    const s = await replayed();
    const snap = JSON.parse(JSON.stringify(toSnapshot(s))) as ReturnType<typeof toSnapshot>;
    expect(Object.keys(snap.fields)).toEqual(NAMES);
    const back = fromSnapshot(snap);
    for (const name of NAMES) {
      if (name === 'derivations') {
        // Log tails travel as their live window only.
        for (const [k, d] of s.derivations) {
          const b = back.derivations.get(k)!;
          expect({ ...b, log: b.log.buf.slice(b.log.start, b.log.end) }).toEqual({ ...d, log: d.log.buf.slice(d.log.start, d.log.end) });
        }
      } else expect(back[name], name).toEqual(s[name]);
    }
    expect(s.activities.size).toBeGreaterThan(0);
    expect(s.host).not.toBeNull();
  });
});
