// Picks the current view's component.
import React from 'react';
import type { ViewId } from '../ui/keymap.js';
import ProcessView from './ProcessView.js';
import BuilderView from './BuilderView.js';
import EagleEyeView from './EagleEyeView.js';
import JobsView from './JobsView.js';
import type { ViewProps } from './view-props.js';

type Props = ViewProps & {
  readonly view: ViewId;
  /** Detail pane lines (Jobs), null when closed. */
  readonly detail: readonly string[] | null;
  readonly detailHeight: number;
  readonly detailPosition: string;
  readonly search: string;
};

export default function Body({ view, detail, detailHeight, detailPosition, search, ...props }: Props) {
  switch (view) {
    case 'process': return <ProcessView {...props} />;
    case 'builder': return <BuilderView {...props} />;
    case 'eagle': return <EagleEyeView {...props} />;
    case 'jobs': return <JobsView {...props} detail={detail} detailHeight={detailHeight} detailPosition={detailPosition} search={search} />;
  }
}
