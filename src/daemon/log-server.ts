// The json-log-path socket: every Nix process that names it in nix.conf connects here; each connection is a source.
// Never stall Nix: a connection is always read; what it costs is bounded (connections per uid, line bytes), and an
// error in handling one connection closes that source, not the daemon.
import { chmodSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { openLogSource } from '../ingest/log-source.js';
import type { BtmEvent } from '../state/events.js';
import type { PeerCounter } from './limits.js';
import { peerCred, socketSourceInfo } from './peer.js';
import { listenUnix } from './listen.js';

export type LogServerOptions = {
  readonly path: string;
  readonly publish: (e: BtmEvent) => void;
  readonly userName: (uid: number) => string | null;
  readonly log: (line: string) => void;
  readonly counter: PeerCounter;
  /** For lines a peer can cause once per connection: rate-limited per uid. */
  readonly peerLog: (uid: number | null, line: string) => void;
};

let counter = 0;

/** Starts listening; the socket is world-writable because every user's `nix` writes its log here (input only). */
export async function startLogServer(opts: LogServerOptions): Promise<Server> {
  const server = await listenUnix(opts.path, (socket) => {
    try {
      acceptNixLog(socket, opts);
    } catch (err) {
      opts.log(`log connection failed: ${(err as Error)?.stack ?? String(err)}`);
      socket.destroy();
    }
  });
  chmodSync(opts.path, 0o666);
  return server;
}

function acceptNixLog(socket: Socket, opts: LogServerOptions): void {
  socket.on('error', () => socket.destroy());
  const cred = peerCred(socket);
  const uid = cred?.uid ?? null;
  const admitted = opts.counter.admit('log', uid);
  if ('refused' in admitted) {
    opts.peerLog(uid, `log connection refused: ${admitted.refused}`);
    socket.destroy();
    return;
  }
  const source = `nix:${cred?.pid ?? '?'}:${++counter}`;
  const limits = opts.counter.limits;
  // A few /proc reads and, for a daemon worker, one pidfd_getfd per socket it holds: well under a millisecond.
  const info = socketSourceInfo(cred, opts.userName);
  const log = openLogSource({ source, emit: opts.publish, clock: Date.now, info,
    maxLineBytes: limits.logLineBytes, budget: opts.counter.budget, guaranteedLineBytes: limits.guaranteedLineBytes });
  const behind = info.peer ? `, daemon worker for pid ${info.peer.pid === info.pid ? '?' : `${info.pid} uid ${info.uid}`}` : '';
  opts.peerLog(uid, `source ${source} connected (uid ${uid ?? '?'}, ${cred ? `pid ${cred.pid}` : 'peer unknown'}${behind})`);
  socket.on('data', (chunk: Buffer) => {
    try {
      log.push(chunk);
    } catch (err) {
      // The publisher never throws; this is the net under the decoder and line splitter: drop the source, go on.
      opts.log(`source ${source}: ${(err as Error)?.stack ?? String(err)}`);
      socket.destroy();
    }
  });
  // Nix closes its end when it is done; a peer that dies mid-build just closes too: the reducer tells them apart.
  socket.on('end', () => { log.end(null, 'eof'); socket.end(); });
  socket.on('close', () => { admitted.release(); log.end(null, 'vanished'); });
}
