// The LEFT column (expected remaining time, from the build history) added to the Builder, Eagle Eye and Jobs rows.
// A build: its expected duration minus the time it has run ("+" once overdue); a job: its plan's remaining time from
// the dependency tree and the build slots (planRemaining). Rows keep their identity while their cell does not change.
import type { Estimate } from '../history/eta.js';
import { planRemaining, remainingOf, type PlanItem } from '../history/eta.js';
import type { Derivation, Job, State } from '../state/model.js';
import type { HostView } from './fleet-store.js';
import { duration } from './format.js';
import type { Column, Row } from './rows.js';
import { lazyCells } from './rows.js';
import { durationMs, expectedBuilds, unnamedBuilds } from '../state/selectors.js';

export type EtaTable = {
  /** undefined: not asked yet; null: the history has nothing for this name. */
  readonly estimate: (name: string) => Estimate | null | undefined;
  /** Builds a job can run at once: the most seen running together (Nix's max-jobs, as far as it showed). */
  readonly slots: (job: Job) => number;
};

// Given up early on a narrow terminal (columns.ts): the build's own figures come first.
export const LEFT_COLUMN: Column = { title: 'LEFT', width: 7, align: 'right', drop: 1.5 };

const unfinished = (d: Derivation): boolean => d.status === 'running' || d.status === 'planned' || d.status === 'waiting';

export function drvLeft(d: Derivation, now: number | null, eta: EtaTable): string {
  if (!unfinished(d)) return '';
  const e = eta.estimate(d.name);
  if (!e) return '';
  if (d.status !== 'running' || d.startedAt === null || now === null) return `~${duration(e.ms)}`;
  const elapsed = durationMs(d, now) ?? 0;
  return elapsed > e.ms ? `+${duration(elapsed - e.ms)}` : `~${duration(remainingOf(e.ms, elapsed))}`;
}

/** A running job's remaining time; '' when it has nothing left or no build with an estimate. */
export function jobLeftMs(job: Job, state: State, eta: EtaTable): number | null {
  if (job.status !== 'running') return null;
  const now = state.now;
  const items: PlanItem[] = [];
  let known = 0;
  for (const p of new Set([...job.plan, ...job.drvs])) {
    const d = state.derivations.get(p);
    if (d && !unfinished(d)) continue;
    const e = d ? eta.estimate(d.name) : undefined;
    if (e) known++;
    const running = d?.status === 'running';
    const spent = running && now !== null ? durationMs(d, now) ?? 0 : 0;
    items.push({ key: p, remainingMs: e ? remainingOf(e.ms, spent) : 0, deps: d?.inputDrvs ?? [], running });
  }
  if (known === 0) return null;
  // A stream without a plan (a legacy nix-build's worker) names builds as it starts them: the ones its counters still
  // expect are not known by name, and take the mean of the job's known estimates (never nothing: ~0 s was shown
  // with a dozen builds to go).
  if (job.plan.length === 0) {
    const unnamed = unnamedBuilds(expectedBuilds(job), job.drvs.length, job.status);
    if (unnamed?.as === 'planned') {
      let sum = 0;
      let n = 0;
      for (const p of job.drvs) {
        const d = state.derivations.get(p);
        const e = d ? eta.estimate(d.name) : undefined;
        if (e) { sum += e.ms; n++; }
      }
      const mean = n > 0 ? sum / n : 0;
      for (let i = 0; i < unnamed.count; i++) items.push({ key: `unnamed:${i}`, remainingMs: mean, deps: [], running: false });
    }
  }
  return planRemaining(items, eta.slots(job));
}

type Memo = { readonly cell: string; readonly row: Row };
const memo = new WeakMap<Row, Memo>();

/** The columns with LEFT at the end; null `eta` (no history: demo, --no-history) leaves them as they are. */
export function withLeftColumn(columns: readonly Column[], eta: EtaTable | ReadonlyMap<string, EtaTable> | null): readonly Column[] {
  return eta ? [...columns, LEFT_COLUMN] : columns;
}

/**
 * For one state: rows -> the same rows with the LEFT cell at the end. App applies it to the window drawn only (a
 * job's cell walks its whole plan), and to every row only when a key asks for them; a job's cell is worked out once
 * per state. A row keeps its identity while its cell does not change.
 */
export function leftOf(state: State, eta: EtaTable | null): (rows: readonly Row[]) => readonly Row[] {
  if (!eta) return (rows) => rows;
  const jobLeft = new Map<string, string>();
  const cellOf = (row: Row): string => {
    const d = row.drvPath ? state.derivations.get(row.drvPath) : undefined;
    if (d) return drvLeft(d, state.now, eta);
    const job = row.job ? state.jobs.get(row.job) : undefined;
    if (!job || row.key.includes('>')) return '';
    let cell = jobLeft.get(job.source);
    if (cell === undefined) {
      const ms = jobLeftMs(job, state, eta);
      jobLeft.set(job.source, (cell = ms === null ? '' : `~${duration(ms)}`));
    }
    return cell;
  };
  return (rows) => rows.map((row) => {
    const cell = cellOf(row);
    const hit = memo.get(row);
    if (hit && hit.cell === cell) return hit.row;
    const wrapped = lazyCells(fieldsOf(row), () => [...row.cells, cell]);
    memo.set(row, { cell, row: wrapped });
    return wrapped;
  });
}

/**
 * Several machines: each row's LEFT from its own host's state and that host's estimates (`useFleetEta`), so a
 * remote build is timed by the remote machine's history; a row of a host without estimates gets none.
 */
export function fleetLeftOf(hosts: readonly HostView[], tables: ReadonlyMap<string, EtaTable>): (rows: readonly Row[]) => readonly Row[] {
  const perHost = new Map<string, (rows: readonly Row[]) => readonly Row[]>();
  const first = hosts[0]?.name;
  const of = (host: string | undefined): ((rows: readonly Row[]) => readonly Row[]) => {
    const name = host ?? first ?? '';
    let f = perHost.get(name);
    if (!f) {
      const h = hosts.find((x) => x.name === name);
      perHost.set(name, (f = h ? leftOf(h.state, tables.get(name) ?? NO_ESTIMATES) : leftOf(hosts[0]!.state, NO_ESTIMATES)));
    }
    return f;
  };
  return (rows) => rows.map((row) => of(row.host)([row])[0]!);
}

/** A host whose history has not answered: rows keep the LEFT column, with empty cells. */
const NO_ESTIMATES: EtaTable = { estimate: () => undefined, slots: () => 1 };

/** fleetLeftOf, worked out only when a row's cells are read (what the keys get; see leftOfLazily). */
export function fleetLeftOfLazily(hosts: readonly HostView[], tables: ReadonlyMap<string, EtaTable>): (rows: readonly Row[]) => readonly Row[] {
  const window = fleetLeftOf(hosts, tables);
  return (rows) => rows.map((row) => lazyCells(fieldsOf(row), () => window([row])[0]!.cells));
}

const fieldsOf = (row: Row): Omit<Row, 'cells'> =>
  ({ key: row.key, tone: row.tone, targets: row.targets, copy: row.copy, fold: row.fold, drvPath: row.drvPath, job: row.job, host: row.host });

/**
 * Every row with its LEFT cell worked out only when its cells are read (a search reads them; moving the selection
 * reads only keys): what the keys get, so a key press does not walk every job's plan.
 */
export function leftOfLazily(state: State, eta: EtaTable | null): (rows: readonly Row[]) => readonly Row[] {
  if (!eta) return (rows) => rows;
  const window = leftOf(state, eta);
  return (rows) => rows.map((row) => lazyCells(fieldsOf(row), () => window([row])[0]!.cells));
}

/** `rows` with one more cell at the end, and the columns with LEFT (every row's cell: tests, one-off lists). */
export function withLeft(rows: readonly Row[], columns: readonly Column[], state: State, eta: EtaTable | null): { rows: readonly Row[]; columns: readonly Column[] } {
  return { rows: leftOf(state, eta)(rows), columns: withLeftColumn(columns, eta) };
}

/** `make()` on the first call only. */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | null = null;
  return () => (made ??= { value: make() }).value;
}
