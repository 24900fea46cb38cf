// Keeps the history bounded by age and by size, a step at a time (a few thousand rows per transaction).
import type { Db } from './schema.js';

export type Retention = { readonly maxAgeDays: number; readonly maxBytes: number; readonly everyMs: number };

export const defaultRetention: Retention = { maxAgeDays: 90, maxBytes: 2 ** 30, everyMs: 10 * 60_000 };

const STEP = 5000;

/** Bytes the live pages take (free pages are reused or handed back by incremental vacuum). */
export function usedBytes(db: Db): number {
  const pages = Number(db.pragma('page_count', { simple: true }));
  const free = Number(db.pragma('freelist_count', { simple: true }));
  return (pages - free) * Number(db.pragma('page_size', { simple: true }));
}

/** Deletes one step of what is too old or over the size bound; true while there may be more to delete. */
export function pruneStep(db: Db, r: Retention, now: number): boolean {
  const cutoff = now - r.maxAgeDays * 86_400_000;
  const old = db.prepare(`DELETE FROM derivations WHERE id IN (SELECT id FROM derivations INDEXED BY drvs_stopped
    WHERE stopped_at < ? ORDER BY stopped_at LIMIT ${STEP})`).run(cutoff).changes;
  let over = 0;
  if (old === 0 && usedBytes(db) > r.maxBytes) {
    over = db.prepare(`DELETE FROM derivations WHERE id IN (SELECT id FROM derivations INDEXED BY drvs_stopped
      ORDER BY stopped_at LIMIT ${STEP})`).run().changes;
  }
  const jobs = db.prepare(`DELETE FROM jobs WHERE id IN (SELECT j.id FROM jobs j WHERE j.stopped_at < ? OR (j.status != 'running'
    AND NOT EXISTS (SELECT 1 FROM derivations d WHERE d.job_id = j.id) AND ? > 0) LIMIT ${STEP})`).run(cutoff, over).changes;
  if (old + over + jobs > 0) db.pragma('incremental_vacuum(2000)');
  return old + over > 0 || jobs === STEP;
}
