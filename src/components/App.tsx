// The whole screen: header, tabs, the current view (or the manual), the signal dialog, the status line and the footer.
import React, { useMemo, useRef, useState } from 'react';
import { Box } from 'ink';
import { statusCounts } from '../state/selectors.js';
import type { Controller } from '../ui/feed.js';
import type { Store } from '../ui/store.js';
import { useStore } from '../ui/use-store.js';
import { useKeys } from '../ui/use-keys.js';
import type { Size } from '../ui/use-terminal-size.js';
import { useTerminalSize } from '../ui/use-terminal-size.js';
import { windowOf } from '../ui/list-state.js';
import { manualLines } from '../ui/manual.js';
import { detailLines, rowBuilder } from '../ui/detail.js';
import { useEnviron } from '../ui/use-environ.js';
import { viewRows } from '../ui/view-rows.js';
import type { Effect, UiState } from '../ui/ui-state.js';
import { initialUi, onKey, onSignalResult } from '../ui/ui-state.js';
import Header from './Header.js';
import Tabs from './Tabs.js';
import Footer from './Footer.js';
import Manual from './Manual.js';
import SignalDialog, { DIALOG_HEIGHT } from './SignalDialog.js';
import Body from './Body.js';
import { useEta } from '../ui/use-eta.js';
import { withLeft } from '../ui/eta-column.js';
import { useHistory } from '../ui/use-history.js';
import { historyViewRows } from '../ui/rows-history.js';
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
};

/** Rows of each part for a terminal height; one row is left free so Ink never redraws the whole screen. */
export function screenLayout(rows: number, ui: Pick<UiState, 'dialog' | 'detail' | 'view'> & { history?: UiState['history']; widget?: boolean }): { body: number; table: number; detail: number } {
  const body = Math.max(4, rows - 1 - 3 - 1 - 2);
  const detail = ui.detail && ui.view === 'jobs' ? Math.floor(body / 2) : ui.view === 'history' && ui.history?.job != null ? Math.min(4, Math.floor(body / 3))
    // issue 15 (widget pane): Eagle Eye's build pane takes up to half the body.
    : ui.widget === true && ui.view === 'eagle' ? Math.min(14, Math.floor(body / 2)) : 0;
  const table = Math.max(1, body - 1 - detail - (ui.dialog ? DIALOG_HEIGHT : 0));
  return { body, table, detail };
}

const MANUAL = manualLines();
const NO_HOST: Controller = { signal: async () => ({ ok: false, reason: 'this host is not watched' }) };

/** The empty table's text when the view's filter hides every row. */
function noMatch(ui: UiState): string | null {
  const filter = ui.filters[ui.view];
  if (filter === '') return null;
  return `nothing matches "${filter}" (${ui.editingFilter ? 'Esc clears the filter' : '/ to change, / Esc to clear'})`;
}

export default function App({ store, controller, onQuit, onCopy, size, initial }: Props) {
  const snap = useStore(store);
  const terminal = useTerminalSize();
  const { columns: width, rows: height } = size ?? terminal;
  const [ui, setUi] = useState<UiState>(initial ?? initialUi);
  // Several machines: one state per host (fleet-rows.ts); the detail pane reads the selected row's host.
  const fleet = snap.hosts && snap.hosts.length > 0 ? snap.hosts : null;
  const live = useMemo(() => (fleet ? fleetViewRows(fleet, ui) : viewRows(snap.state, ui)),
    [fleet, snap.state, ui.view, ui.filters, ui.sorts, ui.tree, ui.all, ui.eagleMode, ui.collapsed, ui.expanded, ui.follow]);
  const counts = useMemo(() => (fleet ? sumCounts(fleet.map((h) => statusCounts(h.state))) : statusCounts(snap.state)), [fleet, snap.state]);
  const eta = useEta(controller.history, snap.state);
  const history = useHistory(controller.history, { shown: ui.view === 'history', job: ui.history.job, pane: ui.history.pane,
    filter: ui.filters.history, sort: ui.sorts.history });
  const { rows, columns, mode } = useMemo(() => (ui.view === 'history'
    ? historyViewRows(history.data, ui.sorts.history, ui.history.job !== null ? ui.filters.history : '')
    : { ...live, ...withLeft(live.rows, live.columns, snap.state, ui.view === 'process' ? null : eta.table) }),
  [live, snap.state, eta.table, history.data, ui.view, ui.sorts.history, ui.filters.history, ui.history.job]);
  const keys = useMemo(() => rows.map((r) => r.key), [rows]);
  const lay = screenLayout(height, ui);
  // Several machines: a row's key names its host first (fleet-rows.ts); the followed pid is found on any host.
  const followKey = ui.view === 'process' && ui.follow !== null
    ? keys.find((k) => k === `p:${ui.follow}` || (fleet !== null && k.endsWith(`\u0000p:${ui.follow}`))) ?? null : null;
  const list = followKey ? { ...ui.lists.process, selected: followKey } : ui.lists[ui.view];
  const win = windowOf(list, keys, lay.table);
  const state = (fleet ? stateOfRow(fleet, rows[win.index]) : null) ?? snap.state;

  const uiRef = useRef(ui);
  uiRef.current = ui;
  const ctx = { rows, height: lay.table, columns: columns.length, manualLines: MANUAL.length };
  const ctxRef = useRef(ctx);
  ctxRef.current = ctx;
  const run = (effect: Effect | null): void => {
    if (!effect) return;
    if (effect.kind === 'quit') onQuit();
    else if (effect.kind === 'pause') store.togglePause();
    else if (effect.kind === 'copy') onCopy?.(effect.text);
    else {
      const { request, label } = effect;
      controller.signal(request)
        .catch((err: unknown) => ({ ok: false as const, reason: err instanceof Error ? err.message : String(err) }))
        .then((result) => setUi((u) => (uiRef.current = onSignalResult(u, request, label, result))));
    }
  };
  useKeys((name) => {
    const out = onKey(uiRef.current, name, ctxRef.current);
    uiRef.current = out.ui;
    setUi(out.ui);
    run(out.effect);
  });

  const followGone = ui.follow !== null && ui.view === 'process' && followKey === null;
  const jobsDetail = lay.detail > 0 && ui.view === 'jobs';
  const builder = jobsDetail ? rowBuilder(state, rows[win.index]) : null;
  const hostController = fleet && rows[win.index]?.host !== undefined ? controller.forHost?.(rows[win.index]!.host!) ?? NO_HOST : controller;
  const environ = useEnviron(hostController, builder);
  const detail = jobsDetail ? detailLines(state, rows[win.index], lay.detail - 2, environ?.lines ?? null) : null;
  const selectedName = ui.view === 'history' && history.data.kind === 'job' ? rows[win.index]?.cells[1] ?? null : null;
  const past = history.data.kind === 'job' ? history.data.derivations.find((d) => d.name === selectedName)?.past : undefined;
  const series = selectedName !== null && past ? { name: selectedName, points: past.map((ms) => ({ at: 0, ms })) } : null;
  const historyError = eta.error ?? history.error;
  const note = followGone ? `process ${ui.follow} is gone (f: stop following)` : snap.status.finished ? 'demo finished, q to quit'
    : historyError ? `history: ${historyError}` : snap.status.detail;
  return (
    <Box flexDirection="column" width={width} height={height - 1}>
      <Header host={snap.state.host} counts={counts} status={snap.status} paused={snap.paused} unseen={snap.unseen} width={width}
        fleet={fleet ? fleetLine(fleet) : null} />
      <Tabs view={ui.view} mode={mode} width={width} />
      <Box flexDirection="column" height={lay.body}>
        {ui.manual !== null ? (
          <Manual lines={MANUAL} offset={ui.manual} height={lay.body - 3} width={width} />
        ) : (
          <Body view={ui.view} rows={rows.slice(win.offset, win.offset + lay.table)} total={rows.length} columns={columns} index={win.index} offset={win.offset} height={lay.table}
            width={width} sort={ui.sorts[ui.view]} noMatch={noMatch(ui)} detail={detail} detailHeight={lay.detail}
            history={ui.view === 'history' ? { data: history.data, series } : undefined}
            pane={ui.view === 'eagle' ? { shown: ui.widget, state, eta: eta.table, height: lay.detail } : undefined} /* issue 15 (widget pane) */ />
        )}
        {ui.dialog ? <SignalDialog dialog={ui.dialog} width={width} /> : null}
      </Box>
      <Footer view={ui.view} message={ui.message} editing={ui.editingFilter ? ui.filters[ui.view] : null} note={note} width={width}
        keysHint={ui.manual !== null ? 'Esc close  ↑↓ PgUp PgDn scroll' : ui.dialog ? 'Esc cancel' : undefined} />
    </Box>
  );
}
