// The daemon's own observations, turned into events on a timer: the /proc forest, .drv files, and the store's
// word on outputs. Collection never waits on a client; a failing collector is logged, never fatal.
import type { DrvCandidate } from '../ingest/builder-map.js';
import { createDrvReader, defaultDrvSource, outputsValid, type DrvReader, type DrvSource } from '../ingest/drv-file.js';
import type { BtmEvent, ProcessInfo } from '../state/events.js';
import type { Derivation, State } from '../state/model.js';
import { isJobProcess } from '../state/selectors.js';
import { readCommand } from '../ingest/proc-read.js';
import { processStartedAt } from '../ingest/proc-time.js';
import { sanitize } from '../state/text.js';
import { createLocalBuilds } from './local-builds.js';
import { workerClient } from './owner.js';
import type { AllScope } from './attach.js';
import { startScanThread, type ScanResult, type ScanThread } from './scan-thread.js';

export type CollectorOptions = {
  readonly refreshMs: number;
  readonly current: () => State;
  readonly publish: (e: BtmEvent) => void;
  readonly log: (line: string) => void;
  /** Which .drv files may be read (a peer names them); default /nix/store and $NIX_STORE_DIR. */
  readonly drvSource?: DrvSource;
  /** Whose other processes some UI wants (the `a` key, attach.ts); null: only the Nix forest is published. */
  readonly allScope?: () => AllScope | null;
  /** A uid's name (the client a nix-daemon worker builds for is named by it). */
  readonly userName?: (uid: number) => string | null;
};

/** Most processes an every-process scan publishes: the Nix forest always, others up to this many (bounded events). */
export const ALL_PROCESSES_MAX = 4000;

export type Collectors = {
  stop(): Promise<void>;
  /** Builders' environments and build users, as the scan thread last saw them (signal and environ checks). */
  scanner: Pick<ScanThread, 'environ' | 'isBuildUid'>;
  /** Scans now (a UI just asked for every process); one already in flight is followed by another. */
  now(): void;
};

export function startCollectors(opts: CollectorOptions): Collectors {
  // The /proc scan runs in its own thread: synchronous reads of thousands of files, milliseconds each second,
  // would otherwise sit between Nix's records and the ring (the daemon's worst latency).
  const thread = startScanThread(opts.log, (opts.drvSource ?? defaultDrvSource()).storeDirs);
  const drvs = createDrvReader(1024, opts.drvSource ?? defaultDrvSource());
  const local = createLocalBuilds({ current: opts.current, publish: opts.publish, log: opts.log, environ: (pid) => thread.environ(pid),
    readDrv: (path) => drvs.read(path), commandOf: readCommand, clientOf: (workerPid) => {
      const client = workerClient(workerPid);
      return client && { pid: client.pid, uid: client.uid, user: opts.userName?.(client.uid) ?? null, command: sanitize(readCommand(client.pid)),
        startedAt: processStartedAt(client.pid) };
    } });
  const asked = new Set<string>();
  const unreadable = unreadableDrvs(opts.log);
  const checked = new Map<string, Checked>();
  let failures = 0;
  let again = false;
  const fail = (err: unknown): void => {
    if (failures++ < 5) opts.log(`collector: ${(err as Error)?.stack ?? String(err)}`);
  };
  const onScan = (scope: AllScope | null, { at, processes, host }: ScanResult): void => {
    // local-builds sees the Nix forest only, as without `a`: the scope never changes what is attributed.
    const forest = scope === null ? processes : processes.filter((p) => p.role !== 'other');
    opts.publish({ kind: 'proc-scan', at, processes: scope === null ? processes : scoped(processes, scope), host });
    local.onScan(forest, at);
    failures = 0;
  };
  // A timer's tick finding a scan in flight skips (a slow host scans less often); a UI's ask is answered after it.
  const scan = (asked: boolean): void => {
    const scope = opts.allScope?.() ?? null;
    const running = thread.scan(scope !== null, () => candidates(opts.current()));
    if (running === null) { again ||= asked; return; }
    again = false;
    running.then((r) => onScan(scope, r)).catch(fail).finally(() => { if (again) scan(true); });
  };
  const tick = (): void => {
    try {
      scan(false);
      unreadable.flush();
      readNewDrvs(opts, drvs, asked, unreadable);
      confirmOutputs(opts, checked);
    } catch (err) {
      fail(err);
    }
  };
  tick();
  const timer = setInterval(tick, opts.refreshMs);
  return { scanner: thread, stop: () => { clearInterval(timer); unreadable.flush(); return thread.close(); }, now: () => scan(true) };
}

/** The running derivations, for tying builders to them in the scan thread. */
function candidates(state: State): DrvCandidate[] {
  const out: DrvCandidate[] = [];
  let byPid: Map<number, ProcessInfo> | null = null;
  for (const d of state.derivations.values()) {
    if (d.status !== 'running') continue;
    // The Nix processes behind its build's sources: the client or local Nix (info.pid), a worker's own connection (peer).
    const owners: number[] = [];
    for (const s of d.owners) {
      const job = state.jobs.get(s);
      if (!job) continue;
      // Only while the pid is still the job's own process: a pid reused by another process is not the job's.
      byPid ??= new Map(state.processes.map((p) => [p.pid, p]));
      const holder = job.info.pid !== null ? byPid.get(job.info.pid) : undefined;
      if (holder && isJobProcess(job, holder)) owners.push(holder.pid);
      if (job.info.peer) owners.push(job.info.peer.pid);
    }
    out.push({ drvPath: d.drvPath, outputs: d.outputs, name: d.name, owners });
  }
  return out;
}

/** The Nix forest, then the other processes the scope allows, at most ALL_PROCESSES_MAX in all (bounded events). */
export function scoped(processes: ProcScanResult, scope: AllScope): ProcessInfo[] {
  const nix = processes.filter((p) => p.role !== 'other');
  const others = processes.filter((p) => p.role === 'other' && (scope.everyone || scope.uids.has(p.uid)));
  return [...nix, ...others.slice(0, Math.max(0, ALL_PROCESSES_MAX - nix.length))];
}

type ProcScanResult = readonly ProcessInfo[];

/** Reads each new derivation's .drv once (names, outputs, input derivations: the dependency tree). */
function readNewDrvs(opts: CollectorOptions, drvs: DrvReader, asked: Set<string>, unreadable: ReturnType<typeof unreadableDrvs>): void {
  const state = opts.current();
  for (const drvPath of state.derivations.keys()) {
    if (asked.has(drvPath) || state.drvInfo.has(drvPath)) continue;
    asked.add(drvPath);
    void drvs.read(drvPath).then((r) => {
      if (r.ok) opts.publish({ kind: 'drv-info', at: Date.now(), info: r.info });
      else unreadable.note(drvPath, r.reason);
    });
  }
  forgetGone(asked, state);
}

/**
 * The .drv files that could not be read: the first ten of a tick one line each, the rest of it in one line. Any user
 * can name as many missing ones as its quota allows (200,000), and a line each would push everything else out of
 * the bounded daemon.log.
 */
const UNREADABLE_LINES = 10;
function unreadableDrvs(log: (line: string) => void): { note(drvPath: string, reason: string): void; flush(): void } {
  let count = 0;
  let first = '';
  return {
    note(drvPath, reason) {
      if (count++ < UNREADABLE_LINES) return log(`cannot read ${drvPath}: ${reason}`);
      if (count === UNREADABLE_LINES + 1) first = `${drvPath}: ${reason}`;
    },
    flush() {
      if (count > UNREADABLE_LINES) log(`cannot read ${count - UNREADABLE_LINES} more .drv files, the first ${first}`);
      count = 0;
    },
  };
}

/**
 * Forgets the paths the state no longer holds, once there are many. Cleared whole, a set of more than that many
 * paths still in the state asked them all again at every tick: 60,000 forged Build starts from one user made the
 * daemon try to read 60,000 missing .drv files, and log each, every second.
 */
function forgetGone(seen: Set<string> | Map<string, unknown>, state: State): void {
  if (seen.size <= 50_000) return;
  for (const drvPath of seen.keys()) if (!state.derivations.has(drvPath)) seen.delete(drvPath);
}

/** Where the store is at hand, a finished build whose outputs exist is built: the ground truth, as nom does. */
type Checked = { readonly drv: Derivation; readonly times: number };

function confirmOutputs(opts: CollectorOptions, checked: Map<string, Checked>): void {
  const state = opts.current();
  for (const d of state.derivations.values()) {
    if (d.confirmed || d.status === 'running' || d.status === 'planned' || d.status === 'waiting' || !d.outputs) continue;
    // Checked as it is now: an outcome that changed since (another source's word) is checked again, a few times.
    const seen = checked.get(d.drvPath);
    if (seen && (seen.drv === d || seen.times >= 3)) continue;
    checked.set(d.drvPath, { drv: d, times: (seen?.times ?? 0) + 1 });
    // Both answers: valid confirms a success, missing outputs refute one the log only inferred (issue 9).
    opts.publish({ kind: 'outputs-valid', at: Date.now(), drvPath: d.drvPath, valid: outputsValid(d.outputs) });
  }
  forgetGone(checked, state);
}
