// The json-log-path socket: every Nix process that names it in nix.conf connects here; each connection is a source.
// A worker thread (log-intake-worker.ts) accepts and reads the connections so that nothing on this thread can
// delay reading them (Nix blocks when we do not read); here each connection's bytes become a source's events.
// What a connection costs is bounded (connections per uid in the worker, line bytes here), and an error in handling
// one connection closes that source, not the daemon.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { openLogSource, type LogSource } from '../ingest/log-source.js';
import { packageRoot } from '../addon/package-root.js';
import type { BtmEvent } from '../state/events.js';
import type { PeerCounter } from './limits.js';
import type { DerivationQuota } from './derivation-quota.js';
import type { FromIntake, IntakeInit, ToIntake } from './log-intake-protocol.js';
import { socketSourceInfo, type PeerCred } from './peer.js';
import { slicedQueue } from './sliced-queue.js';

export type LogServerOptions = {
  readonly path: string;
  /** A listening socket inherited through socket activation (LISTEN_FDS), or null to bind `path`. */
  readonly inheritedFd?: number | null;
  readonly publish: (e: BtmEvent, line?: string) => void;
  /** Several events at once, each with its line (Publisher.publishAll). */
  readonly publishAll: (events: readonly BtmEvent[], lines: readonly string[]) => void;
  readonly userName: (uid: number) => string | null;
  readonly log: (line: string) => void;
  readonly counter: PeerCounter;
  /** What each non-root uid's open sources may add to the daemon's derivations. */
  readonly quota: DerivationQuota;
  /** For lines a peer can cause once per connection: rate-limited per uid. */
  readonly peerLog: (uid: number | null, line: string) => void;
  /** Bytes the main thread may lag behind on one root connection before it is paused (default 64 MiB). */
  readonly maxUnackedBytes?: number;
};

export type LogServer = {
  /** Connections open right now. */
  readonly connections: () => number;
  /** Connection messages waiting for the main thread's next slice (the metrics' intake lag). */
  readonly backlog: () => number;
  close(): Promise<void>;
};

let counter = 0;
const ACK_MS = 50;
const ACK_BYTES = 256 << 10;

/** The compiled worker: next to this file in dist/, or under dist/ when this file runs from src/ (vitest). */
function workerFile(): string {
  const here = fileURLToPath(new URL('./log-intake-worker.js', import.meta.url));
  return existsSync(here) ? here : join(packageRoot(), 'dist', 'src', 'daemon', 'log-intake-worker.js');
}

/** Starts listening; the socket is world-writable because every user's `nix` writes its log here (input only). */
export async function startLogServer(opts: LogServerOptions): Promise<LogServer> {
  const limits = opts.counter.limits;
  const init: IntakeInit = { path: opts.path, fd: opts.inheritedFd ?? null,
    maxUnackedBytes: opts.maxUnackedBytes ?? 64 * 2 ** 20, userUnackedBytes: 4 * 2 ** 20, usersUnackedBytes: 64 * 2 ** 20,
    perUid: limits.perUid.log, nonRootTotal: Math.max(8, Math.floor(limits.nonRootTotal / 2)) };
  const sources = new Map<number, LogSource>();
  let closing = false;
  let stopped: (() => void) | null = null;
  const queueOf: QueueHolder = { pending: () => 0 };
  let worker = await spawnIntake(init, sources, opts, () => stopped?.(), queueOf);
  // A thread that dies (a bug, out of memory) must not leave Nix writing into a socket nobody reads: its
  // connections end as vanished, and a new thread takes the socket (the same path, or the same inherited fd).
  const watch = (w: Worker): void => {
    w.once('exit', (code) => {
      if (closing) return;
      opts.log(`log intake thread exited (${code}): restarting it`);
      for (const src of sources.values()) src.end(null, 'vanished');
      sources.clear();
      void spawnIntake(init, sources, opts, () => stopped?.(), queueOf).then((next) => { worker = next; watch(next); },
        (err: Error) => opts.log(`cannot restart the log intake thread: ${err.message}`));
    });
  };
  watch(worker);
  return {
    connections: () => sources.size,
    backlog: () => queueOf.pending(),
    close: async () => {
      closing = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        stopped = () => { clearTimeout(timer); resolve(); };
        worker.postMessage({ t: 'stop' } satisfies ToIntake);
      });
      for (const src of sources.values()) src.end(null, 'vanished');
      sources.clear();
      await worker.terminate();
    },
  };
}

type QueueHolder = { pending: () => number };

async function spawnIntake(init: IntakeInit, sources: Map<number, LogSource>, opts: LogServerOptions,
  onStopped: () => void, holder: QueueHolder): Promise<Worker> {
  const worker = new Worker(workerFile(), { workerData: init });
  const send = (m: ToIntake): void => worker.postMessage(m);
  // Acks are coalesced: one per connection per ACK_MS (or per turn once ACK_BYTES are owed), not one per chunk:
  // a postMessage costs the main thread more than handling a small chunk, and wakes the intake thread. The thread
  // only needs to know roughly how far behind we are: its limits are MiBs, and a flood is acked every turn.
  const acks = new Map<number, number>();
  let owed = 0;
  let flushAt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flushAcks = (): void => {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    for (const [id, bytes] of acks) send({ t: 'ack', id, bytes });
    acks.clear();
    owed = 0;
    flushAt = performance.now() + ACK_MS;
  };
  let soon = false;
  const ack = (id: number, bytes: number): void => {
    acks.set(id, (acks.get(id) ?? 0) + bytes);
    owed += bytes;
    if (owed >= ACK_BYTES || performance.now() >= flushAt) {
      if (!soon) { soon = true; setImmediate(() => { soon = false; if (acks.size > 0) flushAcks(); }); }
    } else if (timer === null) {
      timer = setTimeout(flushAcks, Math.max(1, flushAt - performance.now()));
      timer.unref();
    }
  };
  // Each connection in its own order, connections taking turns, in slices: a flood on one connection leaves turns
  // for the other connections, the control socket and the collectors, and its unacknowledged bytes make the intake
  // thread pause it (Nix's other connections are read all the while).
  const queue = slicedQueue((m: ConnectionMessage) => {
    try {
      onConnectionMessage(m, sources, send, ack, opts);
    } catch (err) {
      // The publisher never throws; this is the net under the decoder and line splitter: drop the source, go on.
      if ('id' in m) { sources.delete(m.id); send({ t: 'close', id: m.id }); }
      opts.log(`log connection: ${(err as Error)?.stack ?? String(err)}`);
    }
  }, 4, (m) => ('id' in m ? m.id : -1));
  holder.pending = queue.pending;
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: FromIntake) => {
      if (m.t === 'ready') { worker.off('error', reject); resolve(); return; }
      if (m.t === 'failed') { reject(new Error(`cannot listen on ${opts.path}: ${m.message}`)); return; }
      if (m.t === 'stopped') { onStopped(); return; }
      queue.push(m);
    });
  });
  worker.on('error', (err) => opts.log(`log intake thread: ${err.stack ?? err.message}`));
  return worker;
}

type ConnectionMessage = Exclude<FromIntake, { t: 'ready' | 'failed' | 'stopped' }>;

function onConnectionMessage(m: ConnectionMessage, sources: Map<number, LogSource>, send: (m: ToIntake) => void,
  ack: (id: number, bytes: number) => void, opts: LogServerOptions): void {
  switch (m.t) {
    case 'open': {
      // Past its uid's allowance of derivations, a source is closed as a connection the main thread gave up on.
      const over = (): void => { sources.get(m.id)?.end(null, 'error'); sources.delete(m.id); send({ t: 'close', id: m.id }); };
      sources.set(m.id, openNixSource(m.cred, m.command, m.startedAt, opts, over));
      return;
    }
    case 'refused': opts.peerLog(m.uid, `log connection refused: ${m.reason}`); return;
    case 'data':
      sources.get(m.id)?.push(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength));
      ack(m.id, m.chunk.byteLength);
      return;
    case 'paused': opts.log(`log connection ${m.id} (uid ${m.uid ?? '?'}): ${m.unacked} bytes not yet processed, reading paused`); return;
    // Nix closes its end when it is done; a peer that dies mid-build just closes too: the reducer tells them apart.
    case 'end': sources.get(m.id)?.end(null, 'eof'); return;
    case 'error': opts.log(`log connection ${m.id}: ${m.message}`); sources.get(m.id)?.end(null, 'vanished'); return;
    case 'close': sources.get(m.id)?.end(null, 'vanished'); sources.delete(m.id); return;
  }
}

function openNixSource(cred: PeerCred | null, command: string, startedAt: number | null, opts: LogServerOptions, close: () => void): LogSource {
  const source = `nix:${cred?.pid ?? '?'}:${++counter}`;
  const limits = opts.counter.limits;
  // A few /proc reads and, for a daemon worker, one pidfd_getfd per socket it holds: well under a millisecond.
  const info = socketSourceInfo(cred, opts.userName, command, startedAt);
  // Who the source is charged to: the peer's own uid (a daemon worker is root, whoever its client is).
  const uid = cred?.uid ?? null;
  const quoted = opts.quota.source(uid, opts.publish, opts.publishAll, (added) => {
    opts.peerLog(uid, `source ${source} closed: the open sources of uid ${uid ?? '?'} hold ${added} derivations, transfers and activities (limit ${opts.quota.max})`);
    close();
  });
  const log = openLogSource({ source, emit: quoted.emit, emitAll: quoted.emitAll, clock: Date.now, info,
    maxLineBytes: limits.logLineBytes, budget: opts.counter.budget, guaranteedLineBytes: limits.guaranteedLineBytes });
  const behind = info.peer ? `, daemon worker for pid ${info.peer.pid === info.pid ? '?' : `${info.pid} uid ${info.uid}`}` : '';
  opts.peerLog(uid, `source ${source} connected (uid ${uid ?? '?'}, ${cred ? `pid ${cred.pid}` : 'peer unknown'}${behind})`);
  return { ...log, end: (exitCode, reason) => { log.end(exitCode, reason); quoted.release(); } };
}
