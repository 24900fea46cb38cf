// Picks the current view's component.
import React from 'react';
import type { ViewId } from '../ui/keymap.js';
import ProcessView from './ProcessView.js';
import BuilderView from './BuilderView.js';
import EagleEyeView, { type EaglePane } from './EagleEyeView.js';
import JobsView from './JobsView.js';
import HistoryView from './HistoryView.js';
import type { HistoryData } from '../ui/use-history.js';
import type { ViewProps } from './view-props.js';

type Props = ViewProps & {
  readonly view: ViewId;
  /** Detail pane lines (Jobs), null when closed. */
  readonly detail: readonly string[] | null;
  readonly detailHeight: number;
  readonly detailPosition: string;
  readonly search: string;
  /** History view: what the build history answered, and the selected derivation's past durations. */
  readonly history?: { readonly data: HistoryData; readonly series: { name: string; points: { at: number; ms: number }[] } | null };
  /** issue 15 (widget pane): Eagle Eye's build pane. */
  readonly pane?: EaglePane;
};

export default function Body({ view, detail, detailHeight, detailPosition, search, history, pane, ...props }: Props) {
  switch (view) {
    case 'process': return <ProcessView {...props} />;
    case 'builder': return <BuilderView {...props} />;
    case 'eagle': return <EagleEyeView {...props} pane={pane} />;
    case 'jobs': return <JobsView {...props} detail={detail} detailHeight={detailHeight} detailPosition={detailPosition} search={search} />;
    case 'history': return <HistoryView {...props} data={history?.data ?? { kind: 'none', message: 'no build history here' }}
      series={history?.series ?? null} paneHeight={detailHeight} />;
  }
}
