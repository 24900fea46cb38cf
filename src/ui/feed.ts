// The two seams between the UI and where its data comes from: a feed of events and a controller that signals processes.
// The demo/replay feed lives here; the daemon feed (ring + control socket) plugs in through the same types.
import type { SignalRequest } from '../protocol/control.js';
import type { BtmEvent } from '../state/events.js';
import type { State } from '../state/model.js';
import type { HistoryQuery } from '../history/protocol.js';
import type { HistoryAnswer } from '../history/source.js';
import type { FleetHistory } from './fleet-history.js';

export type ConnectionKind = 'connected' | 'started-by-ui' | 'reconnecting' | 'demo' | 'replay' | 'none';

/** Where the data comes from, shown in the header. */
export type FeedStatus = {
  readonly kind: ConnectionKind;
  /** One line for the header/status line, e.g. "recorded build, 12.6 s" or "no daemon: run `nix-btm daemon`". */
  readonly detail: string;
  /** True once a recording has been played to its end. */
  readonly finished?: boolean;
  /** Reconnecting to a daemon that was connected: when it was lost (ms); what is shown is what it last said. */
  readonly lostAt?: number;
};

/** What a feed calls: every event in order, and status changes. */
export type FeedSink = {
  readonly events: (events: readonly BtmEvent[]) => void;
  /** Replaces the whole state (a daemon snapshot); later events apply on top of it. */
  readonly reset: (state: State) => void;
  readonly status: (status: FeedStatus) => void;
};

/** Something that delivers events (a recording, the daemon's ring). */
export type Feed = {
  /** Starts delivering; returns how to stop. */
  readonly start: (sink: FeedSink) => () => void;
};

// The signal vocabulary is the control socket's own: one definition for the dialog and the daemon.
export type { SignalName, SignalRequest, SignalTarget } from '../protocol/control.js';
export { SIGNAL_NAMES as SIGNALS } from '../protocol/control.js';

export type SignalResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Acts on processes; the daemon's control socket implements it for real. */
export type Controller = {
  readonly signal: (request: SignalRequest) => Promise<SignalResult>;
  /** Asks the collector to scan every process (the `a` key) or only the Nix forest; absent for a recording. */
  readonly wantAll?: (on: boolean) => void;
  /** Whose other processes `a` lists: everyone's for root, only the user's own otherwise (src/daemon/attach.ts). */
  readonly allScope?: 'everyone' | 'own';
  /** A running builder's environment (the daemon checks who asks); absent where there is no daemon. */
  readonly environ?: (pid: number, startedAt: number) => Promise<{ readonly ok: true; readonly environ: readonly (readonly [string, string])[] } | { readonly ok: false; readonly reason: string }>;
  /** Reads the build history (the daemon's, or a file's); absent where there is none (a recording). */
  readonly history?: (q: HistoryQuery) => Promise<HistoryAnswer>;
  /** Several machines: every watched host's history (the History view asks each; ETAs stay this machine's). */
  readonly fleetHistory?: FleetHistory;
  /** The controller for the rows of one watched host (several machines); null: nothing reaches it. */
  readonly forHost?: (host: string) => Controller | null;
};

/** The controller of a recording: nothing it shows is a live process, so it refuses everything. */
export const recordingController = (what: 'demo' | 'replay'): Controller => ({
  signal: async () => ({ ok: false, reason: `${what}: these processes are a recording; nothing is signalled` }),
});

/** The controller while no daemon is available. */
export const noDaemonController: Controller = {
  signal: async () => ({ ok: false, reason: 'no nix-btm daemon: signals go through its control socket' }),
};
