// Expected durations from history, and a job's remaining time from its dependency tree and build slots. Pure.

/** How an estimate was reached, best first. */
export type EtaBasis = 'same version, this host' | 'same version, other hosts' | 'other versions, this host' | 'other versions, other hosts';

export type Estimate = { readonly ms: number; readonly basis: EtaBasis; readonly samples: number };

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Past durations of one derivation name on each host, newest first. */
export type Samples = ReadonlyMap<string, readonly number[]>;

/**
 * nom's rule first (median of the last 10 on this host), then other hosts scaled by how fast they are relative to
 * this one (speed > 1: that host is faster, so its durations are stretched), the host with most samples winning.
 */
export function estimateFrom(host: string, byHost: Samples, speed: ReadonlyMap<string, number>, basis: 'same version' | 'other versions'): Estimate | null {
  const here = byHost.get(host);
  if (here && here.length > 0) return { ms: median(here.slice(0, 10))!, basis: `${basis}, this host`, samples: Math.min(10, here.length) };
  let best: Estimate | null = null;
  for (const [h, values] of byHost) {
    if (h === host || values.length === 0) continue;
    const m = median(values.slice(0, 10))! * (speed.get(h) ?? 1);
    if (!best || values.length > best.samples) best = { ms: m, basis: `${basis}, other hosts`, samples: Math.min(10, values.length) };
  }
  return best;
}

/** A derivation still to finish in a job: how long it has left, and which of the others it waits for. */
export type PlanItem = { readonly key: string; readonly remainingMs: number; readonly deps: readonly string[]; readonly running: boolean };

/**
 * The job's remaining time: list scheduling of its unfinished derivations on `slots` builders (max-jobs), running ones
 * first, then whatever is ready, longest critical path first. It is never less than the critical path (the longest
 * chain of dependencies) nor than the total work divided by the slots, and unlike a sum it counts parallel builds once.
 */
export function planRemaining(items: readonly PlanItem[], slots: number): number {
  const byKey = new Map(items.map((i) => [i.key, i]));
  const tail = criticalTails(items, byKey);
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const i of items) {
    const deps = i.deps.filter((d) => byKey.has(d) && d !== i.key);
    waiting.set(i.key, deps.length);
    for (const d of deps) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(i.key);
  }
  const ready = items.filter((i) => waiting.get(i.key) === 0).sort((a, b) => Number(b.running) - Number(a.running) || tail.get(b.key)! - tail.get(a.key)!);
  const busy: { end: number; key: string }[] = [];
  let now = 0;
  let done = 0;
  const n = Math.max(1, slots);
  while (done < items.length) {
    while (busy.length < n && ready.length > 0) {
      const next = ready.shift()!;
      busy.push({ end: now + next.remainingMs, key: next.key });
    }
    if (busy.length === 0) break; // a cycle in the input: what is left can never start
    busy.sort((a, b) => a.end - b.end);
    const finished = busy.shift()!;
    now = finished.end;
    done++;
    for (const k of dependents.get(finished.key) ?? []) {
      const left = waiting.get(k)! - 1;
      waiting.set(k, left);
      if (left === 0) insertByTail(ready, byKey.get(k)!, tail);
    }
  }
  return now;
}

function insertByTail(ready: PlanItem[], item: PlanItem, tail: ReadonlyMap<string, number>): void {
  const t = tail.get(item.key)!;
  const at = ready.findIndex((r) => !r.running && tail.get(r.key)! < t);
  if (at < 0) ready.push(item); else ready.splice(at, 0, item);
}

/** Longest remaining chain from each item to the end of the job (itself included), iteratively: trees can be deep. */
function criticalTails(items: readonly PlanItem[], byKey: ReadonlyMap<string, PlanItem>): Map<string, number> {
  const dependents = new Map<string, string[]>();
  const pending = new Map<string, number>();
  for (const i of items) {
    pending.set(i.key, 0);
  }
  for (const i of items) for (const d of i.deps) if (byKey.has(d) && d !== i.key) {
    (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(i.key);
    pending.set(d, pending.get(d)! + 1);
  }
  const tail = new Map<string, number>();
  const stack = items.filter((i) => pending.get(i.key) === 0).map((i) => i.key);
  while (stack.length > 0) {
    const k = stack.pop()!;
    const item = byKey.get(k)!;
    tail.set(k, item.remainingMs + Math.max(0, ...(dependents.get(k) ?? []).map((x) => tail.get(x) ?? 0)));
    for (const d of item.deps) {
      if (!byKey.has(d) || d === k) continue;
      const left = pending.get(d)! - 1;
      pending.set(d, left);
      if (left === 0) stack.push(d);
    }
  }
  for (const i of items) if (!tail.has(i.key)) tail.set(i.key, i.remainingMs);
  return tail;
}

/** The remaining time of one running build: what its estimate leaves after the time already spent, never below 0. */
export const remainingOf = (estimateMs: number, elapsedMs: number): number => Math.max(0, estimateMs - elapsedMs);
