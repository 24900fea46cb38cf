// Dropping the oldest of a bounded list fairly: one user's flood (600 connections opened and closed in a tenth of a
// second, 500 forged errors) must not push every other user's finished jobs and errors out of every UI. The uids
// holding more than an even share lose their oldest first; only then does plain age decide.

/**
 * The items (oldest first) to drop so that `keep` remain: first the oldest of the uids over their share
 * (`keep` split evenly between the uids present), then the oldest of any. `droppable` leaves items out of it all.
 */
export function fairDrops<T>(items: Iterable<T>, keep: number, uidOf: (item: T) => number | null,
  droppable: (item: T) => boolean = () => true): Set<T> {
  const list = [...items].filter(droppable);
  const drops = new Set<T>();
  let excess = list.length - keep;
  if (excess <= 0) return drops;
  const counts = new Map<number | null, number>();
  for (const it of list) counts.set(uidOf(it), (counts.get(uidOf(it)) ?? 0) + 1);
  const share = Math.max(1, Math.floor(keep / counts.size));
  for (const it of list) {
    if (excess <= 0) break;
    const uid = uidOf(it);
    const n = counts.get(uid)!;
    if (n <= share) continue;
    drops.add(it);
    counts.set(uid, n - 1);
    excess--;
  }
  for (const it of list) {
    if (excess <= 0) break;
    if (!drops.has(it)) { drops.add(it); excess--; }
  }
  return drops;
}
