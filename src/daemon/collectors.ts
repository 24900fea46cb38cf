// The daemon's own observations, turned into events on a timer: the /proc forest, .drv files, and the store's
// word on outputs. Collection never waits on a client; a failing collector is logged, never fatal.
import { createProcScanner, type ProcScanner } from '../ingest/proc-scan.js';
import { readDrv, outputsValid } from '../ingest/drv-file.js';
import type { BtmEvent } from '../state/events.js';
import type { State } from '../state/model.js';

export type CollectorOptions = {
  readonly refreshMs: number;
  readonly current: () => State;
  readonly publish: (e: BtmEvent) => void;
  readonly log: (line: string) => void;
  /** Whether some UI wants every process (the `a` key); else only the Nix forest is read. */
  readonly wantAll?: () => boolean;
};

/** Most processes an every-process scan publishes: the Nix forest always, others up to this many (bounded events). */
export const ALL_PROCESSES_MAX = 4000;

export type Collectors = { stop(): void; scanner: ProcScanner; /** Scans now (a UI just asked for every process). */ now(): void };

export function startCollectors(opts: CollectorOptions): Collectors {
  const scanner = createProcScanner({
    drvCandidates: () => [...opts.current().derivations.values()]
      .filter((d) => d.status === 'running')
      .map((d) => ({ drvPath: d.drvPath, outputs: d.outputs, name: d.name })),
  });
  const asked = new Set<string>();
  const checked = new Set<string>();
  let failures = 0;
  const tick = (): void => {
    try {
      const all = opts.wantAll?.() ?? false;
      const { processes, host } = scanner.scan(Date.now(), all);
      opts.publish({ kind: 'proc-scan', at: Date.now(), processes: all ? bounded(processes) : processes, host });
      readNewDrvs(opts, asked);
      confirmOutputs(opts, checked);
      failures = 0;
    } catch (err) {
      if (failures++ < 5) opts.log(`collector: ${(err as Error).stack ?? String(err)}`);
    }
  };
  tick();
  const timer = setInterval(tick, opts.refreshMs);
  return { scanner, stop: () => clearInterval(timer), now: tick };
}

function bounded(processes: ProcScanResult): ProcScanResult {
  if (processes.length <= ALL_PROCESSES_MAX) return processes;
  const nix = processes.filter((p) => p.role !== 'other');
  const others = processes.filter((p) => p.role === 'other').slice(0, Math.max(0, ALL_PROCESSES_MAX - nix.length));
  return [...nix, ...others];
}

type ProcScanResult = ReturnType<ProcScanner['scan']>['processes'];

/** Reads each new derivation's .drv once (names, outputs, input derivations: the dependency tree). */
function readNewDrvs(opts: CollectorOptions, asked: Set<string>): void {
  const state = opts.current();
  for (const drvPath of state.derivations.keys()) {
    if (asked.has(drvPath) || state.drvInfo.has(drvPath)) continue;
    asked.add(drvPath);
    void readDrv(drvPath).then((r) => {
      if (r.ok) opts.publish({ kind: 'drv-info', at: Date.now(), info: r.info });
      else opts.log(`cannot read ${drvPath}: ${r.reason}`);
    });
  }
  if (asked.size > 50_000) asked.clear();
}

/** Where the store is at hand, a finished build whose outputs exist is built: the ground truth, as nom does. */
function confirmOutputs(opts: CollectorOptions, checked: Set<string>): void {
  for (const d of opts.current().derivations.values()) {
    if (d.confirmed || d.status === 'running' || d.status === 'planned' || d.status === 'waiting' || !d.outputs) continue;
    if (checked.has(d.drvPath)) continue;
    checked.add(d.drvPath);
    if (outputsValid(d.outputs)) opts.publish({ kind: 'outputs-valid', at: Date.now(), drvPath: d.drvPath, valid: true });
  }
  if (checked.size > 50_000) checked.clear();
}
