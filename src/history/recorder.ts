// Turns the daemon's live state into history rows. It notes, per event, which jobs, builds and substitutions
// changed (O(1)), follows phases and the /proc figures of each builder, and every second `take()` builds the rows of
// what finished or changed since: entities are replaced when they change, so identity says what is new.
import type { BtmEvent, ProcessInfo, SourceId } from '../state/events.js';
import type { Derivation, Job, State, Transfer } from '../state/model.js';
import { ActivityType, ResultType } from '../state/nix.js';
import { activityKey } from '../state/reduce-activity.js';
import { durationMs as buildMs, expectedBuilds, relayedWorkers, unnamedBuilds } from '../state/selectors.js';
import { storePathName } from '../state/text.js';
import type { Batch, DrvRow, JobRow } from './rows.js';

/**
 * The outcome the history keeps for a derivation, or null while it is not settled. The one place that reads the
 * live model's statuses: when the outcome model changes, this is what to adapt.
 */
export function historyStatus(d: Derivation): string | null {
  switch (d.status) {
    case 'built': case 'failed': case 'cancelled': case 'interrupted': return d.status;
    default: return null;
  }
}

type Usage = { peakProcs: number; peakRss: number; cpuMs: number; lastAt: number | null };
type Phase = { readonly name: string; readonly at: number };

const MAX_TRACKED = 50_000;

export class HistoryRecorder {
  private readonly dirtyJobs = new Set<SourceId>();
  private readonly dirtyDrvs = new Set<string>();
  private readonly dirtySubs = new Set<string>();
  private readonly subs = new Set<string>();
  private readonly subsPerJob = new Map<SourceId, number>();
  private readonly writtenJobs = new Map<SourceId, Job>();
  private readonly writtenDrvs = new Map<string, Derivation>();
  private readonly usage = new Map<string, Usage>();
  private readonly phases = new Map<string, Phase[]>();
  /** Which job started each build's current run: a derivation built again by a later job is a new row of that job. */
  private readonly starters = new Map<string, { readonly source: SourceId; readonly startedAt: number | null; readonly relay: boolean }>();

  constructor(private readonly daemonKey: string, private readonly localHost: () => string) {}

  /** Called after each event is reduced; constant work except for a /proc scan (linear in its processes). */
  observe(e: BtmEvent, s: State): void {
    switch (e.kind) {
      case 'source-open': case 'source-close': this.dirtyJobs.add(e.source); return;
      case 'outputs-valid': this.dirtyDrvs.add(e.drvPath); return;
      case 'drv-info': if (s.derivations.has(e.info.drvPath)) this.dirtyDrvs.add(e.info.drvPath); return;
      case 'proc-scan': if (e.at !== null) this.onScan(e.processes, e.at); return;
      case 'nix': return this.onNix(e, s);
    }
  }

  private onNix(e: Extract<BtmEvent, { kind: 'nix' }>, s: State): void {
    this.dirtyJobs.add(e.source);
    const r = e.record;
    if (r.kind === 'start' && typeof r.fields[0] === 'string') {
      if (r.type === ActivityType.Build) this.onBuildStart(r.fields[0], e.source, s); else if (r.type === ActivityType.Substitute && this.subs.size < MAX_TRACKED) this.subs.add(activityKey(e.source, r.id));
    } else if (r.kind === 'stop') {
      const key = activityKey(e.source, r.id);
      if (this.subs.delete(key)) this.dirtySubs.add(key);
    } else if (r.kind === 'result' && r.type === ResultType.SetPhase && typeof r.fields[0] === 'string' && e.at !== null) {
      const drvPath = s.activities.get(e.source)?.get(r.id)?.drvPath;
      if (!drvPath) return;
      const list = this.phases.get(drvPath) ?? [];
      if (list.length < 64) list.push({ name: r.fields[0], at: e.at });
      if (this.phases.size < MAX_TRACKED) this.phases.set(drvPath, list);
    }
  }

  private onBuildStart(drvPath: string, source: SourceId, s: State): void {
    this.dirtyDrvs.add(drvPath);
    const startedAt = s.derivations.get(drvPath)?.startedAt ?? null;
    const relay = s.jobs.get(source)?.info.daemonWorker === true;
    const old = this.starters.get(drvPath);
    // The same run relayed by a nix-daemon worker belongs to its client's job: the worker never takes it over.
    if (old && old.startedAt === startedAt && (relay || !old.relay)) return;
    this.phases.delete(drvPath);
    this.usage.delete(drvPath);
    remember(this.starters, drvPath, { source, startedAt, relay });
  }

  /** Peak processes and memory and CPU time of each builder, summed over its process tree, from each scan. */
  private onScan(processes: readonly ProcessInfo[], at: number): void {
    const now = new Map<string, { procs: number; rss: number; cpu: number }>();
    for (const p of processes) {
      if (!p.drvPath) continue;
      const u = now.get(p.drvPath) ?? { procs: 0, rss: 0, cpu: 0 };
      u.procs++; u.rss += p.rssBytes; u.cpu += p.cpuPercent;
      now.set(p.drvPath, u);
    }
    for (const [drvPath, n] of now) {
      let u = this.usage.get(drvPath);
      if (!u) {
        if (this.usage.size >= MAX_TRACKED) continue;
        this.usage.set(drvPath, (u = { peakProcs: 0, peakRss: 0, cpuMs: 0, lastAt: null }));
      }
      u.peakProcs = Math.max(u.peakProcs, n.procs);
      u.peakRss = Math.max(u.peakRss, n.rss);
      // cpuPercent is the share since the previous scan: integrate it over the interval (a missed scan counts once).
      if (u.lastAt !== null) u.cpuMs += (n.cpu / 100) * Math.min(10_000, at - u.lastAt);
      u.lastAt = at;
    }
  }

  get dirty(): number {
    return this.dirtyDrvs.size + this.dirtySubs.size;
  }

  /** The rows of what changed since the last call. */
  take(s: State): Batch | null {
    const jobs: JobRow[] = [];
    const drvs: DrvRow[] = [];
    /** The source of each row of `drvs`. */
    const drvSources: SourceId[] = [];
    const candidates = new Map<string, SourceId | null>();
    for (const p of this.dirtyDrvs) candidates.set(p, null);
    this.dirtyDrvs.clear();
    // Which workers' jobs are relays, once per take (a look at every job), only when a job row is written.
    let relays: Set<Job> | null = null;
    const relaysNow = (): Set<Job> => (relays ??= relayedWorkers(s));
    for (const source of this.dirtyJobs) {
      const job = s.jobs.get(source);
      if (!job || this.writtenJobs.get(source) === job) continue;
      jobs.push(this.jobRow(job, s, relaysNow()));
      remember(this.writtenJobs, source, job);
      for (const p of job.drvs) if (!candidates.get(p)) candidates.set(p, source);
    }
    this.dirtyJobs.clear();
    for (const [drvPath, asker] of candidates) {
      const d = s.derivations.get(drvPath);
      if (!d || historyStatus(d) === null) continue;
      const source = this.ownerOf(d, asker, s);
      const seen = this.writtenDrvs.get(`${source}\0${drvPath}`);
      if (seen === d || source === null) continue;
      const row = this.drvRow(d, s, source);
      if (!row) continue;
      drvs.push(row);
      drvSources.push(source);
      remember(this.writtenDrvs, `${source}\0${drvPath}`, d);
      // Built or failed for good: what was followed of it is in the row now.
      if (d.confirmed) { this.phases.delete(drvPath); this.usage.delete(drvPath); }
    }
    for (const key of this.dirtySubs) {
      const t = s.transfers.get(key);
      if (t && t.status === 'done') { drvs.push(this.subRow(t, s)); drvSources.push(t.source); }
    }
    this.dirtySubs.clear();
    if (jobs.length === 0 && drvs.length === 0) return null;
    // A derivation's job must exist first: write the job rows its builds name.
    for (const source of drvSources) {
      const job = s.jobs.get(source);
      if (job && !this.writtenJobs.has(source)) { jobs.push(this.jobRow(job, s, relaysNow())); remember(this.writtenJobs, source, job); }
    }
    return { jobs, drvs };
  }

  /**
   * A job's row: this daemon's source, except a `nix-btm run`'s, which is the same row whichever daemon recorded it
   * (a run replays its build to a daemon restarted mid-build): its user, Nix pid and start (which the daemon
   * bounds by the run process's own start: control-server.ts), so one user's run never names another's row.
   */
  private jobKey(source: SourceId, s: State): string {
    const known = this.keys.get(source);
    if (known !== undefined) return known;
    const job = s.jobs.get(source);
    const key = job?.info.via === 'run' && job.openedAt !== null && job.info.pid !== null && job.info.uid !== null
      ? `run:${job.info.uid}:${job.info.pid}:${job.openedAt}` : `${this.daemonKey}:${source}`;
    if (job) remember(this.keys, source, key);
    return key;
  }

  /** Each source's row key, once known (a job evicted from the state keeps its key). */
  private readonly keys = new Map<SourceId, string>();

  /** `relays`: relayedWorkers(s); a worker whose client does not stream the build itself is a job like any other. */
  private jobRow(job: Job, s: State, relays: ReadonlySet<Job>): JobRow {
    let built = 0, failed = 0, cancelled = 0, named = 0;
    for (const p of job.drvs) {
      const st = s.derivations.get(p)?.status;
      if (st !== undefined && st !== 'valid') named++;
      // Built or failed by this job: one that waited for another job's build (a lock) did not build it.
      const starter = this.starters.get(p);
      const ran = starter === undefined || starter.source === job.source;
      if (st === 'built') { if (ran) built++; } else if (st === 'failed') { if (ran) failed++; } else if (st === 'cancelled' || st === 'interrupted') cancelled++;
    }
    // Without plan lines (a worker's stream), Nix's Builds counters say how many it needed: those never named never started.
    const expected = job.plan.length === 0 ? expectedBuilds(job) : 0;
    const unnamed = unnamedBuilds(expected, named, job.status);
    if (unnamed !== null && unnamed.as !== 'planned') cancelled += unnamed.count;
    return {
      key: this.jobKey(job.source, s), via: job.info.via, command: job.info.command, user: job.info.user, uid: job.info.uid,
      pid: job.info.pid, host: this.localHost(), relay: relays.has(job), status: job.status, exitCode: job.exitCode,
      startedAt: job.openedAt, stoppedAt: job.closedAt, built, failed, cancelled, substituted: this.subsPerJob.get(job.source) ?? 0,
      planned: job.plan.length > 0 ? job.plan.length : expected, errors: job.errorCount,
    };
  }

  /**
   * The job a derivation's row belongs to: the one that started its current run; one never started belongs to the
   * job that settled it (cancelled, or never needed); else the first client (not a relay) that asked for it.
   */
  private ownerOf(d: Derivation, asker: SourceId | null, s: State): SourceId | null {
    const starter = this.starters.get(d.drvPath);
    if (starter && starter.startedAt === d.startedAt) return starter.source;
    if (d.startedAt === null && asker !== null) return asker;
    return d.jobs.find((j) => s.jobs.get(j)?.info.daemonWorker !== true) ?? d.jobs[0] ?? null;
  }

  private drvRow(d: Derivation, s: State, source: SourceId): DrvRow | null {
    const status = historyStatus(d)!;
    const durationMs = d.stoppedAt !== null ? buildMs(d) : null;
    const u = this.usage.get(d.drvPath);
    const phases = this.phases.get(d.drvPath);
    const host = d.machine && d.machine !== '' ? d.machine : this.localHost();
    return {
      jobKey: this.jobKey(source, s), path: d.drvPath, name: d.name, substituted: false, host, status, reason: d.reason,
      exitCode: d.exitCode, startedAt: d.startedAt, stoppedAt: d.stoppedAt, durationMs,
      phases: phases && d.stoppedAt !== null ? phases.map((p, i) => [p.name, (phases[i + 1]?.at ?? d.stoppedAt!) - p.at] as const) : null,
      peakProcs: u?.peakProcs ?? null, cpuMs: u ? Math.round(u.cpuMs) : null, peakRss: u?.peakRss ?? null, outputBytes: null,
      outputs: d.outputs ? Object.values(d.outputs) : null,
    };
  }

  private subRow(t: Transfer, s: State): DrvRow {
    this.subsPerJob.set(t.source, (this.subsPerJob.get(t.source) ?? 0) + 1);
    if (this.subsPerJob.size > MAX_TRACKED) this.subsPerJob.delete(this.subsPerJob.keys().next().value!);
    this.dirtyJobs.add(t.source);
    const durationMs = t.startedAt !== null && t.stoppedAt !== null ? Math.max(0, t.stoppedAt - t.startedAt) : null;
    return {
      jobKey: this.jobKey(t.source, s), path: t.what, name: storePathName(t.what), substituted: true, host: this.localHost(),
      status: 'built', reason: t.from ? `substituted from ${t.from}` : 'substituted', exitCode: null, startedAt: t.startedAt,
      stoppedAt: t.stoppedAt, durationMs, phases: null, peakProcs: null, cpuMs: null, peakRss: null,
      outputBytes: t.expectedBytes > 0 ? t.expectedBytes : null, outputs: null,
    };
  }
}

/** A bounded map of what was written: the oldest entries go first. */
function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_TRACKED) map.delete(map.keys().next().value!);
}
