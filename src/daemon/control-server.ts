// The control socket: hello (ring location + snapshot), signal requests, and log streams from `nix-btm run`/`feed`.
import { chmodSync, chownSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { serveControlConnection, type ControlConnection } from './control-conn.js';
import type { PeerCounter } from './limits.js';
import type { DerivationQuota } from './derivation-quota.js';
import { parseFeedMessage, parseRequest } from '../protocol/requests.js';
import { openLogSource, type LogSource } from '../ingest/log-source.js';
import { processStartedAt } from '../ingest/proc-time.js';
import type { BtmEvent } from '../state/events.js';
import { peerCred, sourceInfo, withStart, type PeerCred } from './peer.js';
import { OUR_VERSIONS, versionMismatch, versionsOf } from '../protocol/version.js';
import { SIGNAL_NAMES, type DaemonInfo, type FeedMessage, type Reply, type SignalRequest } from '../protocol/control.js';
import type { Publisher } from './publisher.js';
import { isSelfOrDescendant } from './owner.js';
import { liveFacts, signalAuthorized, withAuthorizedProcess } from './signals.js';
import { HelloCache } from './hello-cache.js';
import { listenUnix } from './listen.js';
import type { HistoryWriter } from '../history/writer.js';
import { historyRequest } from './history-wiring.js';
import type { Attachments } from './attach.js';
import type { WakeOffers } from './wake-offers.js';

export type ControlServerOptions = {
  readonly path: string;
  /** Group allowed to connect besides root (socket mode 0660); undefined: root only (0600). */
  readonly gid: number | undefined;
  readonly publisher: Publisher;
  readonly info: DaemonInfo;
  readonly userName: (uid: number) => string | null;
  readonly log: (line: string) => void;
  /** The start environment of a builder the last /proc scan saw. */
  readonly environOf: (pid: number) => ReadonlyMap<string, string> | null;
  /** Connections per uid, line bytes, unread replies. */
  readonly counter: PeerCounter;
  /** What each non-root uid's open sources (feeds here) may add to the daemon's derivations. */
  readonly quota: DerivationQuota;
  /** For lines a peer can cause once per connection or message: rate-limited per uid. */
  readonly peerLog: (uid: number | null, line: string) => void;
  /** Build users as the scanner knows them (owner.ts: single-user build processes are root's). */
  readonly isBuildUid: (uid: number) => boolean;
  /** The build history (null: --no-history). */
  readonly history?: HistoryWriter | null;
  /** Attached UIs (the `a` key's every-process scan, stopping a daemon a UI started). */
  readonly attachments?: Attachments;
  /** Wake FIFOs for ring readers (absent: `wake` is refused and clients wait on the futex). */
  readonly wake?: WakeOffers;
};

let feeds = 0;


export async function startControlServer(opts: ControlServerOptions): Promise<Server> {
  const server = await listenUnix(opts.path, (socket) => accept(socket, opts));
  if (opts.gid !== undefined) chownSync(opts.path, process.getuid?.() ?? 0, opts.gid);
  chmodSync(opts.path, opts.gid !== undefined ? 0o660 : 0o600);
  return server;
}

// Replies go through the connection's backpressure; the name keeps the handlers below as they read.
const sendJson = (conn: ControlConnection, value: Reply): boolean => conn.send(value);

function accept(socket: Socket, opts: ControlServerOptions): void {
  socket.on('error', () => socket.destroy());
  const peer = peerCred(socket);
  const admitted = opts.counter.admit('control', peer?.uid ?? null);
  if ('refused' in admitted) {
    opts.peerLog(peer?.uid ?? null, `control connection refused: ${admitted.refused}`);
    socket.destroy();
    return;
  }
  let feed: FeedSource | null = null;
  let badFeedMessages = 0;
  let attached = false;
  const fail = (conn: ControlConnection, op: string, reason: string): void => { sendJson(conn, { ok: false, op, reason }); };
  const theConn = serveControlConnection(socket, opts.counter, {
    message: (msg, conn) => {
      if (feed) {
        const m = parseFeedMessage(msg);
        if (m.ok) return feedMessage(feed, m.value);
        // A feed is one-way: a bad message is counted and logged (rate-limited), never answered line by line.
        if (badFeedMessages++ === 0) opts.peerLog(peer?.uid ?? null, `feed from uid ${peer?.uid ?? '?'}: ${m.reason}`);
        return;
      }
      const parsed = parseRequest(msg);
      if (!parsed.ok) return fail(conn, parsed.op, parsed.reason);
      const req = parsed.value;
      switch (req.op) {
        case 'hello': return hello(conn, opts, req);
        case 'signal': return signal(conn, opts, peer, req);
        case 'environ': return environ(conn, opts, peer, req);
        case 'history': return historyRequest((reply) => sendJson(conn, reply), opts.history ?? null, req);
        case 'attach':
          if (!opts.attachments) return fail(conn, 'attach', 'not supported');
          attached = true;
          return opts.attachments.attach(conn, peer, req.all);
        case 'wake': return wake(conn, opts, peer);
        case 'stop-if-alone': return opts.attachments ? opts.attachments.stopIfAlone(conn, peer) : fail(conn, 'stop-if-alone', 'not supported');
        case 'feed': {
          opts.attachments?.feedOpened(conn);
          feed = startFeed(opts, peer, req, () => socket.destroy());
          if (!req.framed) {
            conn.becomeFeed();
            sendJson(conn, { ok: true, op: 'feed' });
            return;
          }
          const source = feed;
          conn.becomeFramedFeed((f) => {
            if (f.type === 'log') source.push(f.bytes);
            else if (f.type === 'at') source.readAt(f.at);
            else source.end(f.code, 'eof');
          }, (reason) => opts.peerLog(peer?.uid ?? null, `feed from uid ${peer?.uid ?? '?'}: ${reason}; closed`));
          sendJson(conn, { ok: true, op: 'feed', framed: true, times: true });
          return;
        }
      }
    },
    bad: (reason, conn) => { if (feed) badFeedMessages++; else fail(conn, '?', reason); },
    crashed: (err) => opts.log(`control connection of uid ${peer?.uid ?? '?'} failed: ${(err as Error)?.stack ?? String(err)}`),
  });
  // A feeding client that vanishes mid-build leaves its builds interrupted.
  socket.on('close', () => {
    admitted.release();
    feed?.end(null, 'vanished');
    if (attached || feed) opts.attachments?.closed(theConn);
  });
}

function hello(socket: ControlConnection, opts: ControlServerOptions, req: Record<string, unknown>): void {
  const mismatch = versionMismatch(versionsOf(req), 'the daemon');
  if (mismatch !== null) {
    sendJson(socket, { ok: false, op: 'hello', reason: mismatch } satisfies Reply);
    return;
  }
  socket.sendLine(helloCache(opts.publisher).reply(() => {
    const { seq, snapshot } = opts.publisher.snapshot();
    return JSON.stringify({ ok: true, op: 'hello', ...OUR_VERSIONS, ringPath: opts.publisher.ringPath, seq, snapshot, daemon: opts.info } satisfies Reply);
  }));
}

function wake(conn: ControlConnection, opts: ControlServerOptions, peer: PeerCred | null): void {
  const offered = opts.wake?.offer(peer) ?? { refused: 'not supported' };
  if ('refused' in offered) {
    opts.peerLog(peer?.uid ?? null, `wake FIFO refused to uid ${peer?.uid ?? '?'}: ${offered.refused}`);
    sendJson(conn, { ok: false, op: 'wake', reason: offered.refused });
    return;
  }
  sendJson(conn, { ok: true, op: 'wake', path: offered.path, ringPath: opts.publisher.ringPath });
}

// One per publisher (one per daemon; tests run several daemons in one process).
const helloCaches = new WeakMap<Publisher, HelloCache>();
function helloCache(publisher: Publisher): HelloCache {
  let cache = helloCaches.get(publisher);
  if (!cache) helloCaches.set(publisher, cache = new HelloCache());
  return cache;
}

function signal(socket: ControlConnection, opts: ControlServerOptions, peer: PeerCred | null, req: SignalRequest): void {
  if (!SIGNAL_NAMES.includes(req.signal) || !['process', 'build', 'job'].includes(req.target)) {
    sendJson(socket, { ok: false, op: 'signal', reason: `bad signal request: signal must be one of ${SIGNAL_NAMES.join(', ')}, target process, build or job` } satisfies Reply);
    return;
  }
  const result = signalAuthorized(req, peer, opts.publisher.current, liveFacts(opts.isBuildUid), process.pid);
  opts.peerLog(peer?.uid ?? null, `signal ${req.signal} ${req.target} ${String(req.pid)} from uid ${peer?.uid ?? '?'}: ${result.ok ? 'sent' : result.reason}`);
  sendJson(socket, result.ok ? ({ ok: true, op: 'signal' } satisfies Reply) : ({ ok: false, op: 'signal', reason: result.reason } satisfies Reply));
}

/** The same rules as a signal to that process: it holds the derivation's attributes, which may be private. */
function environ(socket: ControlConnection, opts: ControlServerOptions, peer: PeerCred | null, req: { pid?: unknown; startedAt?: unknown }): void {
  const got = withAuthorizedProcess({ target: 'process', pid: req.pid, startedAt: req.startedAt }, peer, opts.publisher.current,
    liveFacts(opts.isBuildUid), process.pid, (_pidfd, verdict) => opts.environOf(verdict.pid));
  if (!got.ok) sendJson(socket, { ok: false, op: 'environ', reason: got.reason } satisfies Reply);
  else if (!got.value) sendJson(socket, { ok: false, op: 'environ', reason: `no environment known for pid ${String(req.pid)} (only builders have one)` } satisfies Reply);
  else sendJson(socket, { ok: true, op: 'environ', environ: [...got.value].sort(([a], [b]) => a.localeCompare(b)) } satisfies Reply);
  opts.peerLog(peer?.uid ?? null, `environ ${String(req.pid)} from uid ${peer?.uid ?? '?'}: ${got.ok && got.value ? 'sent' : got.ok ? 'none' : got.reason}`);
}

/**
 * The pid a feed names is shown as its job's client and is what a "job" signal would reach: it must be the peer itself
 * or one of its descendants, checked in /proc now. Anything else is replaced by the peer's own pid.
 */
/** A feed's log source; `readAt`: when the sender read the bytes that follow (a FRAME_AT), 0 for as received. */
type FeedSource = LogSource & { readAt(at: number): void };

/**
 * The time a feed says it read its next bytes (or started its Nix), as the daemon takes it: never before the peer
 * process itself started (/proc, which it cannot forge), never after now, never before a time it gave earlier.
 * A feed can only set the times of its own job's events: they place its builds, they reach no one else's.
 */
function feedClock(peer: PeerCred | null): { clock: () => number; set(at: number | null): void } {
  const floor = peer !== null ? processStartedAt(peer.pid) : null;
  let claimed: number | null = null;
  let last = -Infinity;
  return {
    clock: () => claimed ?? Date.now(),
    set(at) {
      if (at === null || !Number.isFinite(at) || at <= 0 || floor === null) { claimed = null; return; }
      claimed = Math.min(Date.now(), Math.max(floor, last, at));
      last = claimed;
    },
  };
}

function startFeed(opts: ControlServerOptions, peer: PeerCred | null, req: { command?: unknown; pid?: unknown; startedAt?: unknown },
  close: () => void): FeedSource {
  const command = typeof req.command === 'string' ? req.command.slice(0, 4096) : '';
  const claimed = typeof req.pid === 'number' && Number.isInteger(req.pid) ? req.pid : null;
  const verified = claimed !== null && peer !== null && isSelfOrDescendant(claimed, peer.pid);
  if (claimed !== null && !verified) opts.log(`feed from pid ${peer?.pid ?? '?'} uid ${peer?.uid ?? '?'} named pid ${claimed}, not its own: ignored`);
  const pid = verified ? claimed : peer?.pid ?? null;
  const info = withStart({ ...sourceInfo('run', peer, opts.userName, command), pid }, pid === null ? null : processStartedAt(pid));
  const source = `run:${peer?.pid ?? '?'}:${++feeds}`;
  opts.peerLog(peer?.uid ?? null, `source ${source} (nix-btm run/feed, uid ${peer?.uid ?? '?'}): ${info.command}`);
  const uid = peer?.uid ?? null;
  const quoted = opts.quota.source(uid, (e: BtmEvent, line?: string) => opts.publisher.publish(e, line),
    (events, lines) => opts.publisher.publishAll(events, lines), (added) => {
    opts.peerLog(uid, `feed ${source} closed: the open sources of uid ${uid ?? '?'} hold ${added} derivations, transfers and activities (limit ${opts.quota.max})`);
    close();
  });
  // The job opens when the sender started its Nix (the same time when it reconnects to a restarted daemon).
  const times = feedClock(peer);
  times.set(typeof req.startedAt === 'number' ? req.startedAt : null);
  const log = openLogSource({ source, info, clock: times.clock, emit: quoted.emit, emitAll: quoted.emitAll,
    budget: opts.counter.budget, guaranteedLineBytes: opts.counter.limits.guaranteedLineBytes });
  times.set(null);
  return { ...log, readAt: (at) => times.set(at), end: (exitCode, reason) => { times.set(null); log.end(exitCode, reason); quoted.release(); } };
}

function feedMessage(feed: FeedSource, m: FeedMessage): void {
  if ('line' in m) feed.line(m.line);
  else feed.end(m.exit, 'eof');
}
