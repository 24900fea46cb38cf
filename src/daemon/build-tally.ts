// What the metrics count of finished builds, read from the state when Prometheus scrapes. A scrape can fall between
// two events of one build's end: a failed build is 'failed' (from Nix's error) before its Build activity stops and
// gives it a stop time. So the outcome and the duration are each taken once per run, each when it is known: a run
// counted before its stop time was known still gets its duration at a later scrape.
import type { Derivation, State } from '../state/model.js';

export type TallySink = {
  finished(user: string, status: Derivation['status']): void;
  duration(name: string, status: Derivation['status'], seconds: number): void;
  substituted(bytes: number): void;
};

const FINISHED: ReadonlySet<Derivation['status']> = new Set(['built', 'failed', 'cancelled', 'interrupted']);
/** Finished builds remembered so each is counted once; older ones have long been counted. */
const MAX_COUNTED = 100_000;

/** A run of a derivation: its start time tells a rebuild from the same run seen again. */
type Counted = { readonly seen: Derivation; readonly timed: boolean };

export function buildTally(sink: TallySink): (s: State) => void {
  const counted = new Map<string, Counted>();
  const transfersCounted = new Map<string, true>();
  return (s) => {
    for (const d of s.derivations.values()) {
      if (!FINISHED.has(d.status)) continue;
      const before = counted.get(d.drvPath);
      if (before?.seen === d) continue;
      const sameRun = before !== undefined && FINISHED.has(before.seen.status) && before.seen.startedAt === d.startedAt;
      if (!sameRun) sink.finished(userOf(s, d), d.status);
      const timed = sameRun && before.timed;
      const canTime = d.startedAt !== null && d.stoppedAt !== null;
      if (!timed && canTime) sink.duration(d.name, d.status, (d.stoppedAt - d.startedAt) / 1000);
      remember(counted, d.drvPath, { seen: d, timed: timed || canTime });
    }
    for (const t of s.transfers.values()) {
      if (t.status !== 'done' || transfersCounted.has(t.key)) continue;
      remember(transfersCounted, t.key, true);
      sink.substituted(t.doneBytes);
    }
  };
}

export function userOf(s: State, d: Derivation): string {
  for (const source of d.jobs) {
    const info = s.jobs.get(source)?.info;
    if (info?.user) return info.user;
  }
  return 'unknown';
}

function remember<V>(m: Map<string, V>, k: string, v: V): void {
  m.delete(k);
  m.set(k, v);
  if (m.size > MAX_COUNTED) m.delete(m.keys().next().value as string);
}
