// State -> what views and reports show. Pure; callers memoize on state identity.
import type { Derivation, DerivationStatus, Job, JobStatus, State, Transfer } from './model.js';
import { MARK } from './marks.js';

export type StatusCounts = Readonly<Record<DerivationStatus, number>> & { readonly downloads: number };

export function statusCounts(state: State): StatusCounts {
  const counts: Record<DerivationStatus, number> = {
    planned: 0, waiting: 0, running: 0, built: 0, substituted: 0, valid: 0, failed: 0, cancelled: 0, interrupted: 0,
  };
  for (const drv of state.derivations.values()) counts[drv.status]++;
  // A stream without a plan (a legacy nix-build's worker) names each build only when it starts it: the builds its
  // counters still expect are queued all the same.
  for (const job of shownJobs(state)) {
    if (job.status !== 'running' || job.plan.length > 0) continue;
    const unnamed = unnamedBuilds(expectedBuilds(job), job.drvs.length, job.status);
    if (unnamed?.as === 'planned') counts.planned += unnamed.count;
  }
  let downloads = 0;
  for (const t of state.transfers.values()) if (t.status === 'running') downloads++;
  return { ...counts, downloads };
}

/** How long it has built (or built): from its start to its end (or now, or its freeze), less the time it was frozen. */
export function durationMs(drv: Derivation, now: number | null = null): number | null {
  if (drv.startedAt === null) return null;
  const end = drv.stoppedAt ?? (drv.status === 'running' ? (drv.frozenAt ?? now) : null);
  return end === null ? null : Math.max(0, end - drv.startedAt - drv.frozenMs);
}

export const derivationsOf = (state: State): Derivation[] => [...state.derivations.values()];

export const jobsOf = (state: State): Job[] => [...state.jobs.values()];

/**
 * Jobs as a person counts them: a `nix build` through the daemon connects to json-log-path twice, itself and its
 * daemon worker, with the same activities; only the client's stream has the plan and the final errors, so the
 * client's job is shown and the worker's hidden, whichever connected first. The pair is told by the kernel's word
 * (the worker's attested client pid is the client connection's own pid, at overlapping times), never by log text:
 * a stream that merely mentions someone's derivations hides nothing. Legacy clients never connect: their worker
 * shows. Replayed captures carry no credentials, so there the old rule holds: a worker whose derivations a client
 * stream also carries.
 */
export function shownJobs(state: State): Job[] {
  const relays = relayedWorkers(state);
  return [...state.jobs.values()].filter((j) => !relays.has(j));
}

/**
 * The daemon workers' jobs that relay a build whose client streams it too (shownJobs hides them, the history marks
 * them relays); a worker whose client never connects (legacy `nix-build`) is the build's only job, and not one.
 */
export function relayedWorkers(state: State): Set<Job> {
  const jobs = [...state.jobs.values()];
  const clients = new Map<number, Job[]>();
  for (const j of jobs) {
    if (j.info.daemonWorker || j.info.pid === null || j.info.via !== 'socket') continue;
    const list = clients.get(j.info.pid);
    if (list) list.push(j); else clients.set(j.info.pid, [j]);
  }
  const relays = replayedWorkers(jobs);
  for (const j of jobs) {
    if (!j.info.daemonWorker || !j.info.peer || j.info.attributedBy === undefined || j.info.pid === null) continue;
    if ((clients.get(j.info.pid) ?? []).some((c) => c.info.uid === j.info.uid && overlap(c, j))) relays.add(j);
  }
  return relays;
}

const overlap = (a: Job, b: Job): boolean =>
  (a.openedAt ?? 0) <= (b.closedAt ?? Infinity) && (b.openedAt ?? 0) <= (a.closedAt ?? Infinity);

/** Workers without credentials (saved logs) hidden by what the client streams carry. */
function replayedWorkers(jobs: readonly Job[]): Set<Job> {
  const hidden = new Set<Job>();
  const byClients = new Set<string>();
  for (const j of jobs) if (!j.info.daemonWorker) for (const p of j.drvs) byClients.add(p);
  const clientRunning = jobs.some((c) => !c.info.daemonWorker && c.status === 'running');
  for (const j of jobs) {
    if (!j.info.daemonWorker || j.info.peer) continue;
    if (j.drvs.length === 0 ? clientRunning : j.drvs.every((p) => byClients.has(p))) hidden.add(j);
  }
  return hidden;
}

export const activeTransfers = (state: State): Transfer[] =>
  [...state.transfers.values()].filter((t) => t.status === 'running');

/** Derivations of a job in a stable order: its plan first, then whatever else it built or waited for. */
export function jobDerivations(state: State, job: Job): Derivation[] {
  const seen = new Set<string>();
  const out: Derivation[] = [];
  for (const path of [...job.plan, ...job.drvs]) {
    const drv = state.derivations.get(path);
    if (drv && !seen.has(path)) { seen.add(path); out.push(drv); }
  }
  return out;
}

export type JobCounts = {
  /**
   * The plan: what Nix said it would build; without plan lines (a daemon worker's stream, the new CLI of Nix 2.8)
   * every derivation the log named for it, or Nix's Builds counters' total when that is more (`Job.buildsTotal`).
   */
  readonly planned: number;
  readonly built: number;
  readonly substituted: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly interrupted: number;
  /** Not finished yet (planned, waiting, running). */
  readonly remaining: number;
};

/**
 * A job's progress against its planned total (issue 9: `7/10 ✔ 1 ✘ 2 ⊘`), never a denominator that shrinks as Nix
 * drops failed dependents from its `expected` counter. Already-valid derivations are not part of the plan.
 */
export const jobCounts = (state: State, job: Job): JobCounts => countsOf(jobDerivations(state, job), job);

/** The same counts over a job's derivations already at hand (the Jobs view has them). */
export function countsOf(drvs: readonly Derivation[], job: Job): JobCounts {
  const c = { planned: 0, built: 0, substituted: 0, failed: 0, cancelled: 0, interrupted: 0, remaining: 0 };
  for (const drv of drvs) {
    if (drv.status === 'valid') continue;
    c.planned++;
    switch (drv.status) {
      case 'built': c.built++; break;
      case 'substituted': c.substituted++; break;
      case 'failed': c.failed++; break;
      case 'cancelled': c.cancelled++; break;
      case 'interrupted': c.interrupted++; break;
      default: c.remaining++;
    }
  }
  const unnamed = unnamedBuilds(job.plan.length === 0 ? expectedBuilds(job) : 0, c.planned, job.status);
  if (unnamed !== null) {
    c.planned += unnamed.count;
    if (unnamed.as === 'planned') c.remaining += unnamed.count; else c[unnamed.as] += unnamed.count;
  }
  return c;
}

/** How many builds Nix's Builds counters say the job needs (0 before its first Builds counters). */
export const expectedBuilds = (job: Job): number => job.buildsTotal.before + job.buildsTotal.peak;

/**
 * Builds Nix's counters count (`expected`) beyond the `named` ones the log named (a worker names a build only
 * when it starts it, and no plan lines list them): still to come while the job runs, never started once it failed
 * (cancelled) or was interrupted; none once it succeeded (then every build it needed was named).
 */
export function unnamedBuilds(expected: number, named: number, status: JobStatus): { count: number; as: 'planned' | 'cancelled' | 'interrupted' } | null {
  const count = expected - named;
  if (count <= 0 || status === 'succeeded') return null;
  return { count, as: status === 'running' ? 'planned' : status === 'failed' ? 'cancelled' : 'interrupted' };
}

/** `7/10 ✔ 1 ✘ 2 ⊘`: built (and substituted) of the planned total, then failed, cancelled, interrupted. */
export function jobProgressText(c: JobCounts): string {
  if (c.planned === 0) return '';
  const parts = [`${c.built + c.substituted}/${c.planned} ${MARK.built}`];
  if (c.failed > 0) parts.push(`${c.failed} ${MARK.failed}`);
  if (c.cancelled > 0) parts.push(`${c.cancelled} ${MARK.cancelled}`);
  if (c.interrupted > 0) parts.push(`${c.interrupted} ${MARK.interrupted}`);
  return parts.join(' ');
}

/**
 * Whether `p` is the process behind the job (its client, or its local Nix): the job's pid, and the process that held
 * it when the job opened. A pid is reused: a process started since is someone else's, never shown or signalled as
 * this job's. Without a recorded start (an older daemon's job): only a process started before the job opened.
 */
export function isJobProcess(job: Job, p: { readonly pid: number; readonly startedAt: number }): boolean {
  if (job.info.pid === null || p.pid !== job.info.pid) return false;
  // Both sides come from /proc's start ticks on the daemon's clock; a little slack for a clock of another thread.
  if (job.info.pidStartedAt !== undefined) return Math.abs(p.startedAt - job.info.pidStartedAt) <= 20;
  return job.openedAt !== null && p.startedAt <= job.openedAt + 1000;
}
