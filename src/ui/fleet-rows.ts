// The rows of a view across watched hosts: each host's rows built from its own state by the same builders, then a
// HOST column (last, so the views' column numbers and sorts are unchanged) and keys and signal targets naming the
// host. `host:NAME` words in a view's filter choose hosts; the rest filters rows as before.
import type { State } from '../state/model.js';
import { initialState } from '../state/reducer.js';
import type { ViewId } from './keymap.js';
import type { Column, Row, Subject } from './rows.js';
import { compareKeys, matches } from './rows.js';
import type { HostView } from './fleet-store.js';
import type { UiState } from './ui-state.js';
import { viewRows, type ViewRows } from './view-rows.js';
import { offloadedRows } from './fleet-remote.js';

export const HOST_COLUMN: Column = { title: 'HOST', width: 12 };

/** Splits `host:a host:b gcc` into the host words and the row filter. */
export function hostFilter(filter: string): { readonly hosts: readonly string[]; readonly rest: string } {
  const words = filter.split(/\s+/).filter((w) => w !== '');
  return {
    hosts: words.filter((w) => w.toLowerCase().startsWith('host:')).map((w) => w.slice(5)).filter((w) => w !== ''),
    rest: words.filter((w) => !w.toLowerCase().startsWith('host:')).join(' '),
  };
}

/** A host matches when any host word is part of its name (no host words: every host). */
export const hostShown = (hosts: readonly string[], name: string): boolean => hosts.length === 0 || hosts.some((h) => matches(h, name));

export function fleetViewRows(hosts: readonly HostView[], ui: UiState, view: ViewId = ui.view): ViewRows {
  const { hosts: wanted, rest } = hostFilter(ui.filters[view]);
  const inner: UiState = { ...ui, filters: { ...ui.filters, [view]: rest } };
  const shown = hosts.filter((h) => hostShown(wanted, h.name));
  let columns: readonly Column[] = [];
  let mode = '';
  const sort = ui.sorts[view];
  const parts: Row[][] = [];
  for (const h of shown) {
    const vr = viewRows(h.state, { ...inner, collapsed: ofHost(ui.collapsed, h.name), expanded: ofHost(ui.expanded, h.name) }, view);
    columns = vr.columns;
    mode = vr.mode;
    parts.push(withOffloaded(vr.rows.map((r) => hostRow(h.name, r)), h, hosts, vr.columns));
  }
  if (columns.length === 0) columns = viewRows(hosts[0]?.state ?? initialState(), inner, view).columns;
  // The HOST column is the view's last: sorting by it orders the hosts' blocks.
  if (sort?.column === columns.length) {
    const order = shown.map((h, i) => ({ h, i })).sort((a, b) => (sort.desc ? -1 : 1) * compareKeys(a.h.name, b.h.name));
    return { rows: order.flatMap((o) => parts[o.i] ?? []), columns: [...columns, HOST_COLUMN], mode: modeOf(mode, wanted) };
  }
  return { rows: parts.flat(), columns: [...columns, HOST_COLUMN], mode: modeOf(mode, wanted) };
}

/** Builds offloaded to another watched host get that host's view of them underneath (fleet-remote.ts). */
function withOffloaded(rows: readonly Row[], h: HostView, hosts: readonly HostView[], columns: readonly Column[]): Row[] {
  const out: Row[] = [];
  for (const r of rows) {
    out.push(r);
    const d = r.drvPath !== undefined ? h.state.derivations.get(r.drvPath) : undefined;
    if (d?.machine) for (const sub of offloadedRows(r, h, hosts, columns)) out.push(hostRow(h.name, sub));
  }
  return out;
}

const ofHostMemo = new WeakMap<ReadonlySet<string>, Map<string, ReadonlySet<string>>>();

/**
 * Folds are kept by row key, which names the host: each host's builders see their own keys. The same set while the
 * UI's set is the same: Eagle Eye's cached job blocks depend on its identity.
 */
function ofHost(keys: ReadonlySet<string>, host: string): ReadonlySet<string> {
  if (keys.size === 0) return keys;
  let byHost = ofHostMemo.get(keys);
  if (!byHost) ofHostMemo.set(keys, (byHost = new Map()));
  let mine = byHost.get(host);
  if (!mine) {
    const prefix = `${host}\u0000`;
    byHost.set(host, (mine = new Set([...keys].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)))));
  }
  return mine;
}

const modeOf = (mode: string, hosts: readonly string[]): string => (hosts.length > 0 ? `${mode} · hosts ${hosts.join(', ')}` : mode);


/** Rows keep their identity across frames (the table memoizes drawn lines by row): one wrapper per row and host. */
const wrappers = new Map<string, WeakMap<Row, Row>>();

export function hostRow(host: string, row: Row): Row {
  let cache = wrappers.get(host);
  if (!cache) wrappers.set(host, (cache = new WeakMap()));
  let hit = cache.get(row);
  if (!hit) cache.set(row, (hit = new HostRow(host, row)));
  return hit;
}

/** A subject that already names its host (an offloaded build's remote builder) keeps it. */
const withHost = (s: Subject | undefined, host: string): Subject | undefined =>
  (s ? (s.host !== undefined ? s : { ...s, host, label: `${s.label} on ${host}` }) : undefined);

class HostRow implements Row {
  readonly key: string;
  readonly tone: Row['tone'];
  readonly targets: Row['targets'];
  readonly copy: string | undefined;
  readonly fold: Row['fold'];
  readonly drvPath: string | undefined;
  readonly job: string | undefined;
  readonly host: string;
  #cells: readonly string[] | null = null;

  constructor(host: string, private readonly row: Row) {
    // Keyed under the host whose view built it; shown as the host it describes (an offloaded build's machine).
    this.host = row.host ?? host;
    this.key = `${host}\u0000${row.key}`;
    this.tone = row.tone;
    const t = row.targets;
    this.targets = t ? { process: withHost(t.process, host), build: withHost(t.build, host), job: withHost(t.job, host) } : undefined;
    this.copy = row.copy;
    this.fold = row.fold;
    this.drvPath = row.drvPath;
    this.job = row.job;
  }

  get cells(): readonly string[] {
    return (this.#cells ??= [...this.row.cells, this.host]);
  }
}

/** The state a row was built from (its host's), for the detail pane and the builder's environment. */
export function stateOfRow(hosts: readonly HostView[], row: Row | undefined): State | null {
  return row?.host !== undefined ? hosts.find((h) => h.name === row.host)?.state ?? null : null;
}
