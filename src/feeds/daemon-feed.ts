// The live feed: the daemon's snapshot, then its ring; reconnects (and restarts a daemon it started) when it goes
// away. While running, the UI stays attached on a control connection (every-process scans, stopping on exit).
import { attach, subscribe, requestEnviron, sendSignal, type Attachment, type Subscription } from '../client/daemon-client.js';
import { ensureDaemon } from '../client/ensure.js';
import { pathsIn } from '../protocol/paths.js';
import { daemonHistory } from '../client/history-client.js';
import type { BtmEvent } from '../state/events.js';
import type { Controller, Feed, FeedSink } from '../ui/feed.js';
import { connectionProblem } from '../client/connection-problem.js';

export type DaemonFeedOptions = { readonly runtimeDir: string; readonly startedByUs: boolean; readonly keepDaemon?: boolean };

export type DaemonSession = {
  readonly feed: Feed;
  readonly controller: Controller;
  /** After the UI is gone: stops a daemon this UI started when no one else uses it; the line to print. */
  readonly finish: () => Promise<string | null>;
};

export function daemonSession(opts: DaemonFeedOptions): DaemonSession {
  const control = pathsIn(opts.runtimeDir).control;
  let attachment: Attachment | null = null;
  let wantAll = false;
  let startedByUs = opts.startedByUs;
  let daemonPid: number | null = null;
  const feed: Feed = {
    start(sink: FeedSink) {
      let stopped = false;
      let subscription: Subscription | null = null;
      let pending: BtmEvent[] = [];
      const pump = (): void => {
        if (!subscription || stopped) return;
        const r = subscription.poll();
        if (pending.length > 0) { const batch = pending; pending = []; sink.events(batch); }
        if (!r.alive) lost('the daemon went away');
      };
      let lostAt: number | null = null;
      const lost = (why: string): void => {
        subscription?.close();
        subscription = null;
        attachment?.close();
        attachment = null;
        // Lost once connected: the rows shown are as it last said (the header says since when); never reached: retrying.
        if (lostAt === null && daemonPid !== null) lostAt = Date.now();
        sink.status({ kind: 'reconnecting', detail: `${why}: reconnecting…`, ...(lostAt !== null ? { lostAt } : {}) });
        if (!stopped) setTimeout(() => void connect(), 1000);
      };
      const connect = async (): Promise<void> => {
        try {
          if (startedByUs) startedByUs = (await ensureDaemon(opts.runtimeDir)).startedByUs || startedByUs;
          const f = await subscribe(control, { reduce: false, onEvent: (e) => pending.push(e), onReset: (s) => { pending = []; sink.reset(s); },
            // A record that fails validation is never applied: the user is told, and the subscription re-snapshots.
            onDamage: (why) => sink.status({ kind: 'connected', detail: `${why}; ${subscription?.invalidRecords ?? 0} invalid records so far: re-synced from a snapshot` }) });
          if (stopped) { f.close(); return; }
          subscription = f;
          daemonPid = f.daemon.pid;
          lostAt = null;
          attachment = attach(control, wantAll);
          sink.reset(f.state);
          sink.status({ kind: startedByUs ? 'started-by-ui' : 'connected', detail: `daemon ${f.daemon.pid}, ${opts.runtimeDir}` });
          f.onReadable(pump);
          pump();
        } catch (err) {
          lost(connectionProblem(err as NodeJS.ErrnoException, control));
        }
      };
      // The futex waiter wakes us on new records; the timer notices a daemon that died without a last record.
      const timer = setInterval(pump, 500);
      void connect();
      return () => { stopped = true; clearInterval(timer); subscription?.close(); };
    },
  };
  const history = daemonHistory(control);
  const controller: Controller = {
    signal: (request) => sendSignal(control, request),
    environ: (pid, startedAt) => requestEnviron(control, pid, startedAt),
    history: history.ask,
    wantAll: (on) => { wantAll = on; attachment?.setAll(on); },
    allScope: process.getuid?.() === 0 ? 'everyone' : 'own',
  };
  const finish = async (): Promise<string | null> => {
    const a = attachment;
    attachment = null;
    if (!startedByUs || daemonPid === null) { a?.close(); return null; }
    const how = `stop it with: kill ${daemonPid}`;
    if (opts.keepDaemon || !a) {
      a?.close();
      return `nix-btm: the daemon this UI started (pid ${daemonPid}) keeps running in ${opts.runtimeDir}; ${how}`;
    }
    const r = await a.stopIfAlone();
    a.close();
    return r.ok ? `nix-btm: stopped the daemon this UI started (pid ${daemonPid})`
      : `nix-btm: the daemon this UI started (pid ${daemonPid}) keeps running: ${r.reason}; ${how}`;
  };
  return { feed, controller, finish };
}
