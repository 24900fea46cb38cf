// The json-log-path socket: every Nix process that names it in nix.conf connects here; each connection is a source.
import { chmodSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { openLogSource } from '../ingest/log-source.js';
import type { BtmEvent } from '../state/events.js';
import { peerCred, socketSourceInfo } from './peer.js';
import { listenUnix } from './listen.js';

export type LogServerOptions = {
  readonly path: string;
  readonly publish: (e: BtmEvent) => void;
  readonly userName: (uid: number) => string | null;
  readonly log: (line: string) => void;
};

let counter = 0;

/** Starts listening; the socket is world-writable because every user's `nix` writes its log here (input only). */
export async function startLogServer(opts: LogServerOptions): Promise<Server> {
  const server = await listenUnix(opts.path, (socket) => acceptNixLog(socket, opts));
  chmodSync(opts.path, 0o666);
  return server;
}

function acceptNixLog(socket: Socket, opts: LogServerOptions): void {
  const cred = peerCred(socket);
  const source = `nix:${cred?.pid ?? '?'}:${++counter}`;
  // A few /proc reads and, for a daemon worker, one pidfd_getfd per socket it holds: well under a millisecond.
  const info = socketSourceInfo(cred, opts.userName);
  const log = openLogSource({ source, emit: opts.publish, clock: Date.now, info });
  const behind = info.peer ? `, daemon worker for pid ${info.peer.pid === info.pid ? '?' : `${info.pid} uid ${info.uid}`}` : '';
  opts.log(`source ${source} connected (uid ${cred?.uid ?? '?'}, ${sourceInfoText(cred)}${behind})`);
  socket.on('data', (chunk: Buffer) => log.push(chunk));
  // Nix closes its end when it is done; a peer that dies mid-build just closes too: the reducer tells them apart.
  socket.on('end', () => { log.end(null, 'eof'); socket.end(); });
  socket.on('error', (err) => { opts.log(`source ${source}: ${err.message}`); log.end(null, 'vanished'); });
  socket.on('close', () => log.end(null, 'vanished'));
}

const sourceInfoText = (cred: { pid: number } | null): string => (cred ? `pid ${cred.pid}` : 'peer unknown');
