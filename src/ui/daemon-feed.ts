// The live feed: the daemon's snapshot, then its ring; reconnects (and restarts a daemon it started) when it goes away.
import { follow, requestEnviron, sendSignal, type Follower } from '../daemon/client.js';
import { ensureDaemon } from '../daemon/ensure.js';
import { pathsIn } from '../daemon/paths.js';
import { daemonHistory } from '../daemon/history-client.js';
import type { BtmEvent } from '../state/events.js';
import type { Controller, Feed, FeedSink } from './feed.js';

export type DaemonFeedOptions = { readonly runtimeDir: string; readonly startedByUs: boolean };

export function daemonFeed(opts: DaemonFeedOptions): Feed {
  const control = pathsIn(opts.runtimeDir).control;
  return {
    start(sink: FeedSink) {
      let stopped = false;
      let follower: Follower | null = null;
      let startedByUs = opts.startedByUs;
      let pending: BtmEvent[] = [];
      const pump = (): void => {
        if (!follower || stopped) return;
        const r = follower.poll();
        if (pending.length > 0) { const batch = pending; pending = []; sink.events(batch); }
        if (!r.alive) lost('the daemon went away');
      };
      const lost = (why: string): void => {
        follower?.close();
        follower = null;
        sink.status({ kind: 'reconnecting', detail: `${why}: reconnecting…` });
        if (!stopped) setTimeout(() => void connect(), 1000);
      };
      const connect = async (): Promise<void> => {
        try {
          if (startedByUs) startedByUs = (await ensureDaemon(opts.runtimeDir)).startedByUs || startedByUs;
          const f = await follow(control, { reduce: false, onEvent: (e) => pending.push(e), onReset: (s) => { pending = []; sink.reset(s); },
            // A record that fails validation is never applied: the user is told, and the follower re-snapshots.
            onDamage: (why) => sink.status({ kind: 'connected', detail: `${why}; ${follower?.invalidRecords ?? 0} invalid records so far: re-synced from a snapshot` }) });
          if (stopped) { f.close(); return; }
          follower = f;
          sink.reset(f.state);
          sink.status({ kind: startedByUs ? 'started-by-ui' : 'connected', detail: `daemon ${f.daemon.pid}, ${opts.runtimeDir}` });
          f.onReadable(pump);
          pump();
        } catch (err) {
          lost(`no daemon (${(err as Error).message})`);
        }
      };
      // The futex waiter wakes us on new records; the timer notices a daemon that died without a last record.
      const timer = setInterval(pump, 500);
      void connect();
      return () => { stopped = true; clearInterval(timer); follower?.close(); };
    },
  };
}

export function daemonController(runtimeDir: string): Controller {
  const control = pathsIn(runtimeDir).control;
  const history = daemonHistory(control);
  return { signal: (request) => sendSignal(control, request), environ: (pid, startedAt) => requestEnviron(control, pid, startedAt), history: history.ask };
}
