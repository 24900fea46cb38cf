// One build's figures (issue 15): the widget's summary line and the final report of `run`/`watch`. Pure: `now` comes in.
import { buildDerivations } from './build-tree.js';
import type { SourceId } from './events.js';
import type { Derivation, DerivationStatus, JobStatus, State } from './model.js';
import { durationMs, expectedBuilds, unnamedBuilds } from './selectors.js';

export type BuildSummary = {
  readonly counts: Readonly<Record<DerivationStatus, number>>;
  /** Derivations to build (already-valid ones are not). */
  readonly total: number;
  /** Transfers running (file downloads and store path copies). */
  readonly downloading: number;
  /** Store paths fetched (substituted or copied) and their size. */
  readonly downloaded: number;
  readonly downloadedBytes: number;
  /** From the first job's start to its end (or now). */
  readonly elapsedMs: number | null;
  /** Every job of the build ended. */
  readonly finished: boolean;
};

const zero = (): Record<DerivationStatus, number> => ({
  planned: 0, waiting: 0, running: 0, built: 0, substituted: 0, valid: 0, failed: 0, cancelled: 0, interrupted: 0,
});

export function buildSummary(state: State, sources: readonly SourceId[], now: number | null): BuildSummary {
  const counts = zero();
  for (const d of buildDerivations(state, sources)) counts[d.status]++;
  const from = new Set(sources);
  let downloading = 0, downloaded = 0, downloadedBytes = 0;
  for (const t of state.transfers.values()) {
    if (!from.has(t.source)) continue;
    if (t.status === 'running') downloading++;
    // Store paths fetched; the file downloads inside a substitution (narinfo, .nar.xz) are not counted twice.
    else if (t.status === 'done' && t.kind !== 'download') { downloaded++; downloadedBytes += Math.max(t.doneBytes, t.expectedBytes); }
  }
  let opened: number | null = null;
  let closed: number | null = null;
  let finished = sources.length > 0;
  for (const s of sources) {
    const job = state.jobs.get(s);
    if (!job) { finished = false; continue; }
    if (job.openedAt !== null) opened = opened === null ? job.openedAt : Math.min(opened, job.openedAt);
    if (job.status === 'running') finished = false;
    else if (job.closedAt !== null) closed = Math.max(closed ?? job.closedAt, job.closedAt);
  }
  const end = finished ? (closed ?? now) : now;
  let total = Object.values(counts).reduce((a, b) => a + b, 0) - counts.valid;
  // Builds Nix's counters count that no log line named yet (a worker's stream, no plan lines: selectors.ts countsOf).
  const unnamed = unnamedBuilds(buildExpected(state, sources), total, buildStatus(state, sources, finished));
  if (unnamed !== null) { counts[unnamed.as] += unnamed.count; total += unnamed.count; }
  return { counts, total, downloading, downloaded, downloadedBytes, elapsedMs: opened === null || end === null ? null : Math.max(0, end - opened), finished };
}

/** The most builds any job of the build expects by Nix's counters, when none of them has plan lines (else 0). */
function buildExpected(state: State, sources: readonly SourceId[]): number {
  let most = 0;
  for (const s of sources) {
    const job = state.jobs.get(s);
    if (!job) continue;
    if (job.plan.length > 0) return 0;
    most = Math.max(most, expectedBuilds(job));
  }
  return most;
}

/** running until every job ended; then failed if one failed, interrupted if one was, else succeeded. */
function buildStatus(state: State, sources: readonly SourceId[], finished: boolean): JobStatus {
  if (!finished) return 'running';
  const statuses = sources.map((s) => state.jobs.get(s)?.status);
  return statuses.includes('failed') ? 'failed' : statuses.includes('interrupted') ? 'interrupted' : 'succeeded';
}

export type Failure = { readonly name: string; readonly drvPath: string; readonly reason: string };

/** Failed builds with Nix's reason, in the order they failed. */
export function buildFailures(state: State, sources: readonly SourceId[]): Failure[] {
  return buildDerivations(state, sources)
    .filter((d) => d.status === 'failed')
    .sort((a, b) => (a.stoppedAt ?? 0) - (b.stoppedAt ?? 0))
    .map((d) => ({ name: d.name, drvPath: d.drvPath, reason: firstLine(d.reason ?? (d.exitCode !== null ? `exit code ${d.exitCode}` : 'failed')) }));
}

/** The builds that took longest (those that ran here and ended), longest first. */
export function slowestBuilds(state: State, sources: readonly SourceId[], n: number): { readonly drv: Derivation; readonly ms: number }[] {
  const out: { drv: Derivation; ms: number }[] = [];
  for (const d of buildDerivations(state, sources)) {
    if (d.status === 'running' || d.stoppedAt === null) continue;
    const ms = durationMs(d);
    if (ms !== null) out.push({ drv: d, ms });
  }
  return out.sort((a, b) => b.ms - a.ms).slice(0, n);
}

const firstLine = (s: string): string => s.split('\n', 1)[0]?.trim() ?? '';
