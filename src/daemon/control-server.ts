// The control socket: hello (ring location + snapshot), signal requests, and log streams from `nix-btm run`/`feed`.
import { chmodSync, chownSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { openLogSource, type LogSource } from '../ingest/log-source.js';
import type { BtmEvent } from '../state/events.js';
import type { State } from '../state/model.js';
import { onJsonLines, sendJson } from './json-lines.js';
import { peerCred, sourceInfo, type PeerCred } from './peer.js';
import { PROTOCOL_VERSION, SIGNAL_NAMES, type DaemonInfo, type Reply, type SignalRequest } from './protocol.js';
import type { Publisher } from './publisher.js';
import { authorize, deliver, procStartTime } from './signals.js';
import { listenUnix } from './listen.js';
import type { Attachments } from './attach.js';

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
  /** Attached UIs (the `a` key's every-process scan, stopping a daemon a UI started). */
  readonly attachments?: Attachments;
};

let feeds = 0;

export async function startControlServer(opts: ControlServerOptions): Promise<Server> {
  const server = await listenUnix(opts.path, (socket) => accept(socket, opts));
  if (opts.gid !== undefined) chownSync(opts.path, process.getuid?.() ?? 0, opts.gid);
  chmodSync(opts.path, opts.gid !== undefined ? 0o660 : 0o600);
  return server;
}

function accept(socket: Socket, opts: ControlServerOptions): void {
  const peer = peerCred(socket);
  let feed: LogSource | null = null;
  const fail = (op: string, reason: string): void => { sendJson(socket, { ok: false, op, reason } satisfies Reply); };
  onJsonLines(socket, (msg) => {
    if (feed) return feedMessage(feed, msg);
    const req = msg as { op?: unknown };
    switch (req.op) {
      case 'hello': return hello(socket, opts, msg as { version?: unknown });
      case 'signal': return signal(socket, opts, peer, msg as SignalRequest);
      case 'environ': return environ(socket, opts, peer, msg as { pid?: unknown; startedAt?: unknown });
      case 'attach': return opts.attachments ? opts.attachments.attach(socket, (msg as { all?: unknown }).all) : fail('attach', 'not supported');
      case 'stop-if-alone': return opts.attachments ? opts.attachments.stopIfAlone(socket, peer) : fail('stop-if-alone', 'not supported');
      case 'feed': {
        feed = startFeed(opts, peer, msg as { command?: unknown; pid?: unknown });
        sendJson(socket, { ok: true, op: 'feed' } satisfies Reply);
        return;
      }
      default: return fail(String(req.op ?? ''), `unknown request ${JSON.stringify(req.op ?? null)}`);
    }
  }, (reason) => fail('?', reason));
  socket.on('error', () => socket.destroy());
  // A feeding client that vanishes mid-build leaves its builds interrupted.
  socket.on('close', () => feed?.end(null, 'vanished'));
}

function hello(socket: Socket, opts: ControlServerOptions, req: { version?: unknown }): void {
  if (req.version !== PROTOCOL_VERSION) {
    sendJson(socket, { ok: false, op: 'hello', reason: `protocol version ${String(req.version)} is not ${PROTOCOL_VERSION}: restart the daemon or the UI` } satisfies Reply);
    return;
  }
  const { seq, snapshot } = opts.publisher.snapshot();
  sendJson(socket, { ok: true, op: 'hello', version: PROTOCOL_VERSION, ringPath: opts.publisher.ringPath, seq, snapshot, daemon: opts.info } satisfies Reply);
}

function signal(socket: Socket, opts: ControlServerOptions, peer: PeerCred | null, req: SignalRequest): void {
  if (!SIGNAL_NAMES.includes(req.signal) || !['process', 'build', 'job'].includes(req.target)) {
    sendJson(socket, { ok: false, op: 'signal', reason: `bad signal request: signal must be one of ${SIGNAL_NAMES.join(', ')}, target process, build or job` } satisfies Reply);
    return;
  }
  const state: State = opts.publisher.current;
  const verdict = authorize(req, peer, state, procStartTime, process.pid);
  const result = verdict.ok ? deliver(verdict, req.signal) : verdict;
  opts.log(`signal ${req.signal} ${req.target} ${req.pid} from uid ${peer?.uid ?? '?'}: ${result.ok ? 'sent' : result.reason}`);
  sendJson(socket, result.ok ? ({ ok: true, op: 'signal' } satisfies Reply) : ({ ok: false, op: 'signal', reason: result.reason } satisfies Reply));
}

/** The same rules as a signal to that process: it holds the derivation's attributes, which may be private. */
function environ(socket: Socket, opts: ControlServerOptions, peer: PeerCred | null, req: { pid?: unknown; startedAt?: unknown }): void {
  const pid = typeof req.pid === 'number' ? req.pid : NaN;
  const startedAt = typeof req.startedAt === 'number' ? req.startedAt : NaN;
  const verdict = authorize({ target: 'process', pid, startedAt }, peer, opts.publisher.current, procStartTime, process.pid);
  const env = verdict.ok ? opts.environOf(pid) : null;
  if (!verdict.ok) sendJson(socket, { ok: false, op: 'environ', reason: verdict.reason } satisfies Reply);
  else if (!env) sendJson(socket, { ok: false, op: 'environ', reason: `no environment known for pid ${pid} (only builders have one)` } satisfies Reply);
  else sendJson(socket, { ok: true, op: 'environ', environ: [...env].sort(([a], [b]) => a.localeCompare(b)) } satisfies Reply);
}

function startFeed(opts: ControlServerOptions, peer: PeerCred | null, req: { command?: unknown; pid?: unknown }): LogSource {
  const command = typeof req.command === 'string' ? req.command.slice(0, 4096) : '';
  const nixPid = typeof req.pid === 'number' && Number.isInteger(req.pid) ? req.pid : null;
  const info = { ...sourceInfo('run', peer, opts.userName, command), pid: nixPid ?? peer?.pid ?? null };
  const source = `run:${peer?.pid ?? '?'}:${++feeds}`;
  opts.log(`source ${source} (nix-btm run/feed, uid ${peer?.uid ?? '?'}): ${command}`);
  return openLogSource({ source, info, clock: Date.now, emit: (e: BtmEvent) => opts.publisher.publish(e) });
}

function feedMessage(feed: LogSource, msg: unknown): void {
  const m = msg as { line?: unknown; exit?: unknown };
  if (typeof m.line === 'string') feed.push(Buffer.from(m.line + '\n'));
  else if ('exit' in m) feed.end(typeof m.exit === 'number' ? m.exit : null, 'eof');
}
