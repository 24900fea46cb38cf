// Runs in a worker thread: owns the json-log-path socket and reads every connection as soon as the kernel has data,
// whatever the main thread is doing (a snapshot of a big state, a slow UI, a flood). Nix blocks in write() after
// ~22 KB are queued on its connection, and on a unix stream socket that limit is the SENDER's buffer: a bigger
// SO_RCVBUF on our side changes nothing (measured), so reading promptly is the only cure. Bytes go to the main
// thread as soon as read; a connection is paused only when the main thread is far behind on it (bounded memory).
import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { loadNative } from '../addon/native.js';
import { readCommand } from '../ingest/proc-read.js';
import { processStartedAt } from '../ingest/proc-time.js';
import { listenUnix } from './listen.js';
import type { IntakeInit, ToIntake, FromIntake } from './log-intake-protocol.js';

const init = workerData as IntakeInit;
const port = parentPort;
if (port === null) throw new Error('log-intake-worker must run in a worker thread');

type Conn = { readonly socket: Socket; readonly uid: number | null; readonly limit: number; unacked: number; paused: boolean };
const conns = new Map<number, Conn>();
let next = 0;
// Per non-root uid: open connections (fds are finite; root is never refused) and the bytes the main thread owes.
const openPerUid = new Map<number | null, number>();
let nonRootOpen = 0;
let nonRootUnacked = 0;
// The same per non-root uid (an entry only while it owes something): past the users' total, only a uid holding more
// than its share is paused, so one user flooding many connections cannot stall every other user's Nix.
const unackedOf = new Map<number | null, number>();

/** Counts `bytes` (negative: acknowledged) against the connection's uid. */
function owe(conn: Conn, bytes: number): void {
  conn.unacked += bytes;
  if (conn.uid === 0) return;
  nonRootUnacked += bytes;
  const n = (unackedOf.get(conn.uid) ?? 0) + bytes;
  if (n <= 0) unackedOf.delete(conn.uid); else unackedOf.set(conn.uid, n);
}

/**
 * Whether the users together owe more than `total` and this connection's uid more than its share of `total`
 * (an even split between the uids owing anything). Memory stays bounded: each uid is held to its share.
 */
function overShare(conn: Conn, total: number): boolean {
  if (conn.uid === 0 || nonRootUnacked <= total) return false;
  return (unackedOf.get(conn.uid) ?? 0) > total / Math.max(1, unackedOf.size);
}

const post = (m: FromIntake, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer ?? []);

function peer(socket: Socket): { pid: number; uid: number; gid: number } | null {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    return loadNative().peerCred(fd);
  } catch {
    return null;
  }
}

// Every connection is read into this one buffer, and each read copied out at once to an exact-size buffer of its
// own (transferred to the main thread): net's `onread` mode. Measured at 100 reads/s of ~9 KiB, the default path
// (a 64 KiB buffer allocated per read, then a Buffer, Readable.push, 'data', nextTicks) cost ~300 us per read;
// this one skips the Readable machinery and one allocation per read. Its own buffer is never shared with Node.
const shared = new Uint8Array(64 << 10);
const symbols = new Map<string, symbol>();

/** Switches an accepted socket to reading into `shared` (net's onread option, set before its first read). */
function readIntoShared(socket: Socket, onChunk: (chunk: Uint8Array) => void): boolean {
  if (symbols.size === 0) for (const s of Object.getOwnPropertySymbols(socket)) if (s.description) symbols.set(s.description, s);
  const kBuffer = symbols.get('kBuffer');
  const kBufferCb = symbols.get('kBufferCb');
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void } })._handle;
  const own = socket as unknown as Record<symbol, unknown>;
  if (!kBuffer || !kBufferCb || own[kBuffer] !== null || typeof handle?.useUserBuffer !== 'function') return false;
  handle.useUserBuffer(shared);
  own[kBuffer] = shared;
  own[kBufferCb] = (n: number): void => {
    const chunk = new Uint8Array(Buffer.allocUnsafeSlow(n).buffer);
    chunk.set(shared.subarray(0, n));
    onChunk(chunk);
  };
  return true;
}

/** A reason to refuse this peer another connection, or null (then it is counted until it closes). */
function admit(uid: number | null): string | null {
  if (uid === 0) return null;
  const mine = openPerUid.get(uid) ?? 0;
  if (mine >= init.perUid) return `uid ${uid ?? '?'} already has ${mine} log connections (limit ${init.perUid})`;
  if (nonRootOpen >= init.nonRootTotal) return `non-root peers hold ${nonRootOpen} log connections (limit ${init.nonRootTotal})`;
  openPerUid.set(uid, mine + 1);
  nonRootOpen++;
  return null;
}

function release(conn: Conn): void {
  if (conn.uid === 0) return;
  nonRootOpen--;
  owe(conn, -conn.unacked);
  const n = (openPerUid.get(conn.uid) ?? 1) - 1;
  if (n <= 0) openPerUid.delete(conn.uid); else openPerUid.set(conn.uid, n);
}

function accept(socket: Socket): void {
  socket.on('error', () => socket.destroy());
  const cred = peer(socket);
  const uid = cred?.uid ?? null;
  const refused = admit(uid);
  if (refused !== null) {
    post({ t: 'refused', uid, reason: refused });
    socket.destroy();
    return;
  }
  const id = ++next;
  const conn: Conn = { socket, uid, limit: uid === 0 ? init.maxUnackedBytes : init.userUnackedBytes, unacked: 0, paused: false };
  conns.set(id, conn);
  // Read now: a short-lived Nix process may be gone by the time the main thread gets to it.
  post({ t: 'open', id, cred, command: cred ? readCommand(cred.pid) : '', startedAt: cred ? processStartedAt(cred.pid) : null });
  const onChunk = (chunk: Uint8Array): void => {
    owe(conn, chunk.byteLength);
    post({ t: 'data', id, chunk }, [chunk.buffer as ArrayBuffer]);
    const over = conn.unacked > conn.limit || overShare(conn, init.usersUnackedBytes);
    if (over && !conn.paused) {
      conn.paused = true;
      paused.add(conn);
      socket.pause();
      post({ t: 'paused', id, uid: conn.uid, unacked: conn.unacked });
    }
  };
  if (!readIntoShared(socket, onChunk)) {
    socket.on('data', (chunk: Buffer) => {
      // Node hands a read over in a buffer of its own, cut to the bytes read: send that buffer itself (transferred,
      // no copy). A view into a larger buffer (pooled, or some other Node) is copied to an exact size instead.
      const own = chunk.buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
      onChunk(own ? new Uint8Array(chunk.buffer as ArrayBuffer) : new Uint8Array(chunk));
    });
  }
  socket.on('end', () => { post({ t: 'end', id }); socket.end(); });
  socket.on('error', (err) => post({ t: 'error', id, message: err.message }));
  socket.on('close', () => { conns.delete(id); paused.delete(conn); release(conn); post({ t: 'close', id }); });
}

const paused = new Set<Conn>();

function mayResume(conn: Conn): boolean {
  return conn.unacked <= conn.limit / 2 && !overShare(conn, init.usersUnackedBytes / 2);
}

function onAck(id: number, bytes: number): void {
  const conn = conns.get(id);
  if (!conn) return;
  owe(conn, -bytes);
  // A connection paused for the users' total resumes when any connection's ack brings the total down.
  for (const p of paused) {
    if (!mayResume(p)) continue;
    paused.delete(p);
    p.paused = false;
    p.socket.resume();
  }
}

async function listen(): Promise<Server> {
  if (init.fd !== null) {
    // Socket activation: systemd (or a launcher) bound and listens on it; we only accept.
    const server = createServer(accept);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd: init.fd }, () => { server.off('error', reject); resolve(); });
    });
    return server;
  }
  const server = await listenUnix(init.path, accept);
  chmodSync(init.path, 0o666);
  return server;
}

let server: Server | null = null;
port.on('message', (m: ToIntake) => {
  if (m.t === 'ack') onAck(m.id, m.bytes);
  else if (m.t === 'close') conns.get(m.id)?.socket.destroy();
  else if (m.t === 'stop') {
    server?.close();
    for (const c of conns.values()) c.socket.destroy();
    post({ t: 'stopped' });
  }
});
listen().then((s) => { server = s; post({ t: 'ready' }); },
  (err: Error) => post({ t: 'failed', message: err.message }));
