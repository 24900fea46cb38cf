// The whole screen: header, tabs, the current view (or the manual), the signal dialog, the status line and the footer.
import React, { useMemo, useRef, useState } from 'react';
import { Box, Text } from 'ink';
import { statusCounts } from '../state/selectors.js';
import type { Controller } from '../ui/feed.js';
import type { Store } from '../ui/store.js';
import { useStore } from '../ui/use-store.js';
import { useKeys } from '../ui/use-keys.js';
import type { Size } from '../ui/use-terminal-size.js';
import { useTerminalSize } from '../ui/use-terminal-size.js';
import { windowOf } from '../ui/list-state.js';
import { manualLines, wrapLines } from '../ui/manual.js';
import { detailLines, rowBuilder } from '../ui/detail.js';
import { useEnviron } from '../ui/use-environ.js';
import { viewRows } from '../ui/view-rows.js';
import type { Effect, KeyContext, UiState } from '../ui/ui-state.js';
import { initialUi, onKey, onSignalResult } from '../ui/ui-state.js';
import { paneTop } from '../ui/ui-entry.js';
import { onMouse, type Geometry } from '../ui/mouse.js';
import { footerEntries, tabLabels } from '../ui/keymap.js';
import type { HostMeters } from '../ui/meters.js';
import { MIN_COLUMNS, MIN_ROWS } from '../ui/columns.js';
import { useColumnWidths } from '../ui/use-column-widths.js';
import { fitWidth } from '../ui/format.js';
// Ink's per-frame line caches kept between frames (ink-caches.ts): imported for that effect.
import '../ui/ink-caches.js';
import Header from './Header.js';
import Tabs from './Tabs.js';
import Footer from './Footer.js';
import Manual from './Manual.js';
import SignalDialog, { DIALOG_HEIGHT } from './SignalDialog.js';
import SortPicker from './SortPicker.js';
import Body from './Body.js';
import { useEta, useFleetEta } from '../ui/use-eta.js';
import { fleetLeftOf, fleetLeftOfLazily, leftOf, leftOfLazily, once, withLeftColumn } from '../ui/eta-column.js';
import { useHistory } from '../ui/use-history.js';
import { historyRowsOf } from '../ui/fleet-history-rows.js';
import { fleetViewRows, stateOfRow } from '../ui/fleet-rows.js';
import { fleetLine, sumCounts } from '../ui/fleet-header.js';


type Props = {
  readonly store: Store;
  /** Sends signals (the daemon's control socket; a recording refuses). */
  readonly controller: Controller;
  readonly onQuit: () => void;
  /** Puts text on the clipboard (OSC 52). */
  readonly onCopy?: (text: string) => void;
  /** A fixed size instead of the terminal's (tests). */
  readonly size?: Size;
  /** Starting UI state (tests). */
  readonly initial?: UiState;
  /** The manual's lines (the CLI adds its commands); default: keys, views, set-up, files, environment. */
  readonly manual?: readonly string[];
  /** What to do to get builds in on this machine, shown while no build is known. */
  readonly firstSteps?: readonly string[];
  /** Disk, network and load figures sampled off the frame path; null: not sampled (a recording). */
  readonly meters?: () => HostMeters | null;
};

/** Rows of each part for a terminal height; one row is left free so Ink never redraws the whole screen. */
export function screenLayout(rows: number, ui: Pick<UiState, 'dialog' | 'detail' | 'view' | 'picker'> & { history?: UiState['history']; widget?: boolean }): { body: number; table: number; detail: number } {
  const body = Math.max(4, rows - 1 - 3 - 1 - 2);
  const detail = ui.detail && ui.view === 'jobs' ? Math.floor(body / 2) : ui.view === 'history' && ui.history?.job != null ? Math.min(4, Math.floor(body / 3))
    // issue 15 (widget pane): Eagle Eye's build pane takes up to half the body.
    : ui.widget === true && ui.view === 'eagle' ? Math.min(14, Math.floor(body / 2)) : 0;
  const table = Math.max(1, body - 1 - detail - (ui.dialog ? DIALOG_HEIGHT : 0) - (ui.picker !== null ? Math.min(body - 2, 12) : 0));
  return { body, table, detail };
}

const DEFAULT_MANUAL = manualLines();
const NO_HOST: Controller = { signal: async () => ({ ok: false, reason: 'this host is not watched' }) };

/** The empty table's text when the view's filter hides every row. */
function noMatch(ui: UiState): string | null {
  const filter = ui.filters[ui.view];
  // Eagle Eye showing only what runs (m): jobs there may be, running none.
  if (filter === '' && ui.view === 'eagle' && ui.eagleMode !== 'tree') return 'nothing running now (m: the whole tree)';
  if (filter === '') return null;
  return `nothing matches "${filter}" (${ui.editingFilter ? 'Esc clears the filter' : '/ to change, Esc to clear'})`;
}

export default function App(props: Props) {
  const terminal = useTerminalSize();
  const { columns: width, rows: height } = props.size ?? terminal;
  // Held here, not in Screen: a terminal made too small for a moment keeps the view, filters, sorts and selection.
  const uiState = useState<UiState>(props.initial ?? initialUi);
  if (width < MIN_COLUMNS || height < MIN_ROWS) return <TooSmall {...props} width={width} height={height} />;
  return <Screen {...props} width={width} height={height} uiState={uiState} />;
}

/** Under the minimum nothing would be readable: say so, and still quit on q. */
function TooSmall({ onQuit, width, height }: Props & { width: number; height: number }) {
  useKeys((name) => { if (name === 'q' || name === 'ctrl-c' || name === 'f10') onQuit(); });
  const text = [`terminal too small: ${width}x${height}`, `nix-btm needs ${MIN_COLUMNS}x${MIN_ROWS}`, 'q quits'];
  return (
    <Box flexDirection="column" width={width}>
      {text.slice(0, Math.max(1, height - 1)).map((t) => <Text key={t} wrap="truncate">{fitWidth(t, width)}</Text>)}
    </Box>
  );
}

function Screen({ store, controller, onQuit, onCopy, manual, firstSteps, meters, width, height, uiState }: Props & { width: number; height: number;
  uiState: [UiState, React.Dispatch<React.SetStateAction<UiState>>] }) {
  const snap = useStore(store);
  const [ui, setUi] = uiState;
  // Several machines: one state per host (fleet-rows.ts); the detail pane reads the selected row's host.
  const fleet = snap.hosts && snap.hosts.length > 0 ? snap.hosts : null;
  const live = useMemo(() => (fleet ? fleetViewRows(fleet, ui) : viewRows(snap.state, ui)),
    [fleet, snap.state, ui.view, ui.filters, ui.sorts, ui.tree, ui.all, ui.eagleMode, ui.collapsed, ui.expanded, ui.follow]);
  const counts = useMemo(() => (fleet ? sumCounts(fleet.map((h) => statusCounts(h.state))) : statusCounts(snap.state)), [fleet, snap.state]);
  const eta = useEta(controller.history, snap.state);
  const fleetEta = useFleetEta(controller.fleetHistory, fleet);
  const history = useHistory(controller.history, { shown: ui.view === 'history', job: ui.history.job, pane: ui.history.pane,
    filter: ui.filters.history, sort: ui.sorts.history, jobHost: ui.history.jobHost ?? null }, undefined, controller.fleetHistory);
  const shown = useMemo(() => (ui.view === 'history'
    ? historyRowsOf(history.data, ui.sorts.history, ui.history.job !== null ? ui.filters.history : '') : live),
  [live, history.data, ui.view, ui.sorts.history, ui.filters.history, ui.history.job]);
  const { rows, mode } = shown;
  // The LEFT column is worked out for the rows drawn only (eta-column.ts: leftOf); the keys see every row's.
  const leftShown = ui.view !== 'process' && ui.view !== 'history';
  const left = leftShown ? eta.table : null;
  // Several machines: each host's rows timed by that host's own history (use-eta.ts: useFleetEta).
  const fleetLeft = leftShown && fleet ? fleetEta : null;
  const columns = useMemo(() => withLeftColumn(shown.columns, fleetLeft ?? left), [shown.columns, left, fleetLeft]);
  const withLeftOf = useMemo(() => (fleet && fleetLeft ? fleetLeftOf(fleet, fleetLeft) : leftOf(snap.state, left)), [fleet, fleetLeft, snap.state, left]);
  const keys = useMemo(() => rows.map((r) => r.key), [rows]);
  const lay = screenLayout(height, ui);
  // Several machines: a row's key names its host first (fleet-rows.ts); the followed pid is found on any host.
  const followKey = ui.view === 'process' && ui.follow !== null
    ? keys.find((k) => k === `p:${ui.follow}` || (fleet !== null && k.endsWith(`\u0000p:${ui.follow}`))) ?? null : null;
  const list = followKey ? { ...ui.lists.process, selected: followKey } : ui.lists[ui.view];
  const win = windowOf(list, keys, lay.table);
  const state = (fleet ? stateOfRow(fleet, rows[win.index]) : null) ?? snap.state;
  const visible = withLeftOf(rows.slice(win.offset, win.offset + lay.table));
  const widths = useColumnWidths(ui.view, columns, visible, Math.max(1, width - 1));
  const manualText = useMemo(() => wrapLines(manual ?? DEFAULT_MANUAL, Math.max(10, width - 4)), [manual, width]);
  const manualHeight = lay.body - 3;

  const jobsDetail = lay.detail > 0 && ui.view === 'jobs';
  const builder = jobsDetail ? rowBuilder(state, rows[win.index]) : null;
  // Several machines: the environment is asked of the selected row's host.
  const hostController = fleet && rows[win.index]?.host !== undefined ? controller.forHost?.(rows[win.index]!.host!) ?? NO_HOST : controller;
  const environ = useEnviron(hostController, builder);
  const detailAll = useMemo(() => (jobsDetail ? detailLines(state, rows[win.index], environ?.lines ?? null) : null),
    [jobsDetail, state, rows, win.index, environ]);
  const paneRows = Math.max(1, lay.detail - 2);

  const uiRef = useRef(ui);
  uiRef.current = ui;
  const allRows = useMemo(() => once(() => (fleet && fleetLeft ? fleetLeftOfLazily(fleet, fleetLeft) : leftOfLazily(snap.state, left))(rows)),
    [fleet, fleetLeft, snap.state, left, rows]);
  const ctx: KeyContext = {
    // Read on a key or a click only (a search reads every row's cells, LEFT included).
    get rows() { return allRows(); }, height: lay.table, columns: columns.length, manualLines: manualText.length, manualHeight,
    detailLines: detailAll ?? undefined, detailHeight: paneRows,
  };
  const followGone = ui.follow !== null && ui.view === 'process' && followKey === null;
  const position = rows.length === 0 ? '0/0' : `${win.index + 1}/${rows.length}`;
  const ended = followGone ? mode.replace(/following (\d+)/, 'process $1 ended') : mode;
  // A user's daemon lists only that user's other processes (attach.ts): the mode says so.
  const shownMode = controller.allScope === 'own' ? ended.replace('all processes', 'all of your processes') : ended;
  const geo: Geometry = {
    tabsY: 4, tabs: tabLabels(ui.view, width, shownMode, ui.manual !== null ? '' : position), titleY: 5, tableRows: lay.table,
    offset: win.offset, widths, detailY: 5 + lay.table + 1,
    detailRows: jobsDetail ? lay.detail : 0,
    footerY: 5 + lay.body + 1, footer: footerEntries(ui.view, width), sortable: ui.view !== 'eagle',
  };
  const latest = useRef({ ctx, geo });
  latest.current = { ctx, geo };
  const run = (effect: Effect | null): void => {
    if (!effect) return;
    if (effect.kind === 'quit') onQuit();
    else if (effect.kind === 'pause') store.togglePause();
    else if (effect.kind === 'copy') onCopy?.(effect.text);
    else if (effect.kind === 'want-all') controller.wantAll?.(effect.on);
    else {
      const { request, label } = effect;
      controller.signal(request)
        .catch((err: unknown) => ({ ok: false as const, reason: err instanceof Error ? err.message : String(err) }))
        .then((result) => setUi((u) => (uiRef.current = onSignalResult(u, request, label, result))));
    }
  };
  const apply = (out: { ui: UiState; effect: Effect | null }): void => { uiRef.current = out.ui; setUi(out.ui); run(out.effect); };
  useKeys((name) => apply(onKey(uiRef.current, name, latest.current.ctx)),
    (ev) => apply(onMouse(uiRef.current, ev, latest.current.geo, latest.current.ctx)));

  const top = detailAll ? paneTop(ui, ctx) : 0;
  const detail = detailAll ? detailAll.slice(top, top + paneRows) : null;
  const selectedName = ui.view === 'history' && history.data.kind === 'job' ? rows[win.index]?.cells[1] ?? null : null;
  const past = history.data.kind === 'job' ? history.data.derivations.find((d) => d.name === selectedName)?.past : undefined;
  const series = selectedName !== null && past ? { name: selectedName, points: past.map((ms) => ({ at: 0, ms })) } : null;
  const historyError = eta.error ?? history.error;
  const note = followGone ? `process ${ui.follow} has ended (f: stop following)` : snap.status.finished ? 'demo finished, q to quit'
    : historyError ? `history: ${historyError}` : snap.status.detail;
  // How to get builds in: only while no watched host knows of any job.
  const noJobs = fleet ? fleet.every((h) => h.state.jobs.size === 0) : state.jobs.size === 0;
  const steps = noJobs && firstSteps && firstSteps.length > 0 ? firstSteps : null;
  return (
    <Box flexDirection="column" width={width} height={height - 1}>
      <Header host={snap.state.host} meters={meters} counts={counts} status={snap.status} paused={snap.paused} unseen={snap.unseen} width={width}
        fleet={fleet ? fleetLine(fleet, width) : null} />
      <Tabs view={ui.view} mode={shownMode} position={ui.manual !== null ? '' : position} width={width} />
      <Box flexDirection="column" height={lay.body}>
        {ui.manual !== null ? (
          <Manual lines={manualText} offset={ui.manual} height={manualHeight} width={width} />
        ) : (
          <Body view={ui.view} rows={visible} widths={widths} columns={columns} index={win.index} offset={win.offset} height={lay.table}
            width={width} sort={ui.sorts[ui.view]} noMatch={noMatch(ui)} detail={detail} detailHeight={lay.detail}
            detailPosition={detailAll ? `${Math.min(detailAll.length, top + paneRows)}/${detailAll.length}` : ''} search={ui.search}
            firstSteps={steps} history={ui.view === 'history' ? { data: history.data, series } : undefined}
            pane={ui.view === 'eagle' ? { shown: ui.widget, state, eta: (fleetEta && rows[win.index]?.host !== undefined ? fleetEta.get(rows[win.index]!.host!) : undefined) ?? eta.table, height: lay.detail } : undefined} /* issue 15 (widget pane) */ />
        )}
        {ui.dialog ? <SignalDialog dialog={ui.dialog} width={width} /> : null}
        {ui.picker !== null ? <SortPicker columns={columns} at={ui.picker} current={ui.sorts[ui.view].column} height={Math.min(lay.body - 2, 12)} width={width} /> : null}
      </Box>
      <Footer view={ui.view} message={ui.message} editing={ui.editingFilter ? ui.filters[ui.view] : null}
        searching={ui.editingSearch ? ui.search : null} note={note} width={width}
        keysHint={ui.manual !== null ? 'Esc close  ↑↓ PgUp PgDn scroll  End last line' : ui.dialog ? 'Esc cancel' : ui.picker !== null ? '↑↓ choose  Enter sort  Esc cancel' : undefined} />
    </Box>
  );
}
