// The metrics' tally of finished builds, scraped after every event of real captures (the worst timing a scrape can
// have): each run counted once, and every run with a start and a stop time has its duration, even when a scrape fell
// between Nix's error (the build is 'failed') and its Build activity's stop (the stop time).
import { describe, expect, it } from 'vitest';
import { buildTally } from '../../src/daemon/build-tally.js';
import { replayFiles } from '../../src/ingest/replay.js';
import type { BtmEvent } from '../../src/state/events.js';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { fixture } from '../helpers.js';

type Tallied = { finished: string[]; durations: string[]; bytes: number };

function tallier(): { t: Tallied; tally: (s: State) => void } {
  const t: Tallied = { finished: [], durations: [], bytes: 0 };
  const tally = buildTally({
    finished: (_user, status) => t.finished.push(status),
    duration: (name, status) => t.durations.push(`${name}:${status}`),
    substituted: (bytes) => { t.bytes += bytes; },
  });
  return { t, tally };
}

/** Every state of a capture's replay. A replay has no clock; each event is dated 10 ms after the one before, as the
 * daemon dates them when they arrive. */
async function states(name: string): Promise<State[]> {
  const events: BtmEvent[] = [];
  await replayFiles([fixture(name)], (e) => events.push(e));
  const out: State[] = [];
  let s = initialState();
  events.forEach((e, i) => { s = reduce(s, 'at' in e ? { ...e, at: 1_000 + 10 * i } as BtmEvent : e); out.push(s); });
  return out;
}

const FINISHED = new Set(['built', 'failed', 'cancelled', 'interrupted']);

describe('build tally for the metrics', () => {
  for (const name of ['log-singleuser-dag-fail-openssl.jsonl', 'log-daemon-root-fail-single.jsonl', 'log-daemon-root-dag-success-v1.jsonl']) {
    it(`${name}: a scrape after every event counts each finished build once, with its duration`, async () => {
      const all = await states(name);
      const end = all[all.length - 1]!;
      const every = tallier();
      for (const s of all) every.tally(s);
      const once = tallier();
      once.tally(end);
      const done = [...end.derivations.values()].filter((d) => FINISHED.has(d.status));
      expect(done.length).toBeGreaterThan(0);
      expect(done.some((d) => d.startedAt !== null && d.stoppedAt !== null)).toBe(true);
      expect(every.t.finished.length).toBe(done.length);
      expect(every.t.finished.sort()).toEqual(once.t.finished.sort());
      const timed = done.filter((d) => d.startedAt !== null && d.stoppedAt !== null).map((d) => `${d.name}:${d.status}`);
      expect(every.t.durations.sort()).toEqual(timed.sort());
      expect(once.t.durations.sort()).toEqual(timed.sort());
    });
  }

  it('a scrape between a failure and its stop time: the duration comes at the next scrape', async () => {
    const all = await states('log-singleuser-dag-fail-openssl.jsonl');
    const end = all[all.length - 1]!;
    const failed = [...end.derivations.values()].find((d) => d.status === 'failed' && d.stoppedAt !== null);
    expect(failed).toBeDefined();
    // The same run as Nix's error leaves it, before the Build activity's stop.
    const early = { ...end, derivations: new Map(end.derivations).set(failed!.drvPath, { ...failed!, stoppedAt: null }) };
    const { t, tally } = tallier();
    tally(early);
    expect(t.durations).not.toContain(`${failed!.name}:failed`);
    tally(end);
    expect(t.durations.filter((x) => x === `${failed!.name}:failed`)).toHaveLength(1);
    expect(t.finished.filter((x) => x === 'failed')).toHaveLength([...end.derivations.values()].filter((d) => d.status === 'failed').length);
  });
});
