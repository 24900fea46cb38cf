// "A source may only affect what it started" (issue 14): the log socket is writable by every local user, so a record
// can claim anything. A derivation's outcome, log and phase come from the sources that started its build (the
// `owners`), or from the store. The only fact a record cannot forge is its source's uid (SO_PEERCRED): daemon workers
// connect as root and may always take a build over; anyone else only joins a build whose owners share their uid.
import type { Draft } from './derivations.js';
import type { Derivation } from './model.js';
import type { SourceId } from './events.js';

const uidOf = (d: Draft, source: SourceId): number | null => d.jobs.get(source)?.info.uid ?? null;

/** Root (a daemon worker) and replayed files (uid unknown: one person's saved logs) speak for every build. */
const trusted = (uid: number | null): boolean => uid === 0 || uid === null;

/**
 * A Build activity of `source` starts `drv`: returns the owners it has after that, or null when the claim is
 * refused (the build runs under other users' sources and this one is neither root nor one of them).
 */
export function claim(d: Draft, source: SourceId, drv: Derivation): readonly SourceId[] | null {
  const uid = uidOf(d, source);
  if (drv.owners.includes(source)) return drv.owners;
  const others = drv.owners.filter((s) => d.jobs.get(s)?.status === 'running');
  if (others.length === 0) return [source];
  // Root takes over from non-root claimants (one of them may be an impostor that started "first").
  if (uid === 0) return [...others.filter((s) => uidOf(d, s) === 0), source];
  if (trusted(uid) || others.some((s) => uidOf(d, s) === uid)) return [...others, source];
  return null;
}

/** May `source` decide how `drvPath` ends (a failure message, a trace, a counter bump)? */
export function mayDecide(d: Draft, source: SourceId, drvPath: string): boolean {
  const drv = d.derivations.get(drvPath);
  if (!drv) return true;
  if (drv.owners.length > 0) return drv.owners.includes(source);
  return mayTouchUnstarted(d, source, drv);
}

/**
 * Nobody started it: root may plan, cancel or wait for it; anyone else only if the first job that asked for it is of
 * their uid (a later impostor planning the same path cannot then block the owner's own updates).
 */
export function mayTouchUnstarted(d: Draft, source: SourceId, drv: Derivation | undefined): boolean {
  const uid = uidOf(d, source);
  const first = drv?.jobs[0];
  if (first === undefined || first === source || trusted(uid)) return true;
  return uidOf(d, first) === uid;
}
