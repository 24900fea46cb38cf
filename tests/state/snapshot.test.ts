// A client that starts from a snapshot taken mid-stream and applies the rest ends with exactly the daemon's state.
import { describe, expect, it } from 'vitest';
import { replayFiles } from '../../src/ingest/replay.js';
import type { BtmEvent } from '../../src/state/events.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { stateReport } from '../../src/state/report.js';
import { fromSnapshot, SNAPSHOT_VERSION, toSnapshot } from '../../src/state/snapshot.js';
import { fixture } from '../helpers.js';

describe('snapshots', () => {
  it('late joiner at every tenth of the stream reaches the same final state', async () => {
    const events: BtmEvent[] = [];
    await replayFiles([fixture('log-singleuser-dag-fail-openssl.jsonl'), fixture('log-daemon-root-dag-success-v1.jsonl')], (e) => events.push(e));
    let daemon = initialState();
    const cuts = new Set(Array.from({ length: 10 }, (_, i) => Math.floor((events.length * i) / 10)));
    const joiners: { state: ReturnType<typeof initialState>; from: number }[] = [];
    for (const [i, e] of events.entries()) {
      if (cuts.has(i)) joiners.push({ state: fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(daemon)))), from: i });
      daemon = reduce(daemon, e);
    }
    const want = JSON.stringify(stateReport(daemon));
    for (const j of joiners) {
      let s = j.state;
      for (const e of events.slice(j.from)) s = reduce(s, e);
      expect(JSON.stringify(stateReport(s))).toBe(want);
      expect(s.eventCount).toBe(daemon.eventCount);
    }
  });

  it('refuses a snapshot of another version', () => {
    const snap = { ...toSnapshot(initialState()), version: 99 };
    expect(() => fromSnapshot(snap)).toThrow(`snapshot version 99, expected ${SNAPSHOT_VERSION}`);
  });
});
