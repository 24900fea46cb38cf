// Lookups every frame of the job views needs, kept between frames on the identities the reducer preserves: a job entity
// is replaced when it changes, a scan brings a new processes array, the jobs map lives as long as its state lineage.
import type { ProcessInfo } from '../state/events.js';
import type { Derivation, Job, State } from '../state/model.js';
import { shownJobs } from '../state/selectors.js';

const pathsOf = new WeakMap<Job, readonly string[]>();
const drvsOf = new WeakMap<Job, readonly Derivation[]>();

/**
 * The job's derivations in jobDerivations' order (plan, then the rest), without rebuilding its path list each frame;
 * the same array as last time while none of them was replaced, so callers can compare it by identity.
 */
export function jobDrvs(state: State, job: Job): readonly Derivation[] {
  let paths = pathsOf.get(job);
  if (!paths) {
    paths = [...new Set([...job.plan, ...job.drvs])];
    pathsOf.set(job, paths);
  }
  const last = drvsOf.get(job);
  if (last && unchanged(state, paths, last)) return last;
  const out: Derivation[] = [];
  for (const p of paths) {
    const d = state.derivations.get(p);
    if (d) out.push(d);
  }
  drvsOf.set(job, out);
  return out;
}

/** `last` is what `paths` look up to now: every path found, in order, as the same entity. */
function unchanged(state: State, paths: readonly string[], last: readonly Derivation[]): boolean {
  if (last.length !== paths.length) return false;
  for (let i = 0; i < paths.length; i++) if (state.derivations.get(paths[i]!) !== last[i]) return false;
  return true;
}

const shown = new WeakMap<State['jobs'], { readonly all: readonly Job[]; readonly shown: Job[] }>();

/** shownJobs, recomputed only when a job was added, removed or replaced. */
export function shownJobsOf(state: State): Job[] {
  const all = [...state.jobs.values()];
  const last = shown.get(state.jobs);
  if (last && last.all.length === all.length && last.all.every((j, i) => j === all[i])) return last.shown;
  const next = shownJobs(state);
  shown.set(state.jobs, { all, shown: next });
  return next;
}

export type ProcessIndex = {
  readonly byPid: ReadonlyMap<number, ProcessInfo>;
  /** Each derivation's builder (the process leading its build). */
  readonly builders: ReadonlyMap<string, ProcessInfo>;
};

/** One index per scan, per host (several hosts' views are built each frame: one shared entry would thrash). */
const indexes = new WeakMap<readonly ProcessInfo[], ProcessIndex>();

/** Processes by pid and builders by derivation, once per scan. */
export function processIndex(processes: readonly ProcessInfo[]): ProcessIndex {
  const hit = indexes.get(processes);
  if (hit) return hit;
  const builders = new Map<string, ProcessInfo>();
  for (const p of processes) if (p.role === 'builder' && p.drvPath) builders.set(p.drvPath, p);
  const index = { byPid: new Map(processes.map((p) => [p.pid, p])), builders };
  indexes.set(processes, index);
  return index;
}
