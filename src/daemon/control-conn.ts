// One control connection's plumbing: bounded lines, JSON decoding, and backpressure. Lines are handled one at a
// time from a queue; while a reply is unflushed the socket is paused, so a peer that writes requests and never
// reads the answers holds at most one reply, and one that stays stuck (or holds too much) is closed.
import type { Socket } from 'node:net';
import { LineSplitter } from '../ingest/lines.js';
import { FrameReader, type Frame } from '../protocol/feed-frames.js';
import type { DaemonLimits, PeerCounter } from './limits.js';

export type ControlConnection = {
  /** Queues a reply; false once the connection is gone. */
  send(value: unknown): boolean;
  /** Queues a reply already encoded: one JSON line, newline included (a shared buffer is never copied). */
  sendLine(line: Buffer): boolean;
  /** The connection became a feed: its lines may be as long as a Nix log line. */
  becomeFeed(): void;
  /**
   * The connection became a framed feed: every byte after the line that asked goes to `onFrame` as frames
   * (feed-frames.ts); a bad frame calls `bad` once and closes the connection (the stream cannot be resynchronised).
   */
  becomeFramedFeed(onFrame: (f: Frame) => void, bad: (reason: string) => void): void;
};

export type ConnectionHandlers = {
  readonly message: (msg: unknown, conn: ControlConnection) => void;
  readonly bad: (reason: string, conn: ControlConnection) => void;
  /** A handler threw: the connection is closed, the daemon goes on. */
  readonly crashed: (err: unknown) => void;
};

type Item = { readonly line: string } | { readonly oversize: number };

export function serveControlConnection(socket: Socket, counter: PeerCounter, handlers: ConnectionHandlers): ControlConnection {
  const limits: DaemonLimits = counter.limits;
  const queue: Item[] = [];
  let blocked = false;
  let stallTimer: NodeJS.Timeout | null = null;
  let framed: { readonly reader: FrameReader; readonly onFrame: (f: Frame) => void; readonly bad: (reason: string) => void } | null = null;
  const splitter = new LineSplitter({
    line: (line) => { if (line !== '') queue.push({ line }); },
    oversize: (_head, bytes) => queue.push({ oversize: bytes }),
  }, limits.controlLineBytes, { budget: counter.budget, guaranteedBytes: limits.guaranteedLineBytes });
  const unblock = (): void => {
    blocked = false;
    if (stallTimer) { clearTimeout(stallTimer); stallTimer = null; }
    if (!socket.destroyed) { socket.resume(); pump(); }
  };
  const conn: ControlConnection = {
    send(value) {
      if (socket.destroyed || !socket.writable) return false;
      let text: string;
      try { text = JSON.stringify(value); } catch (err) { handlers.crashed(err); return false; }
      return conn.sendLine(Buffer.from(text + '\n'));
    },
    sendLine(text) {
      if (socket.destroyed || !socket.writable) return false;
      // One reply may be as big as a snapshot; more unread output than the bound on top of it is refused.
      if (socket.writableLength > limits.maxUnreadBytes) { socket.destroy(); return false; }
      const flushed = socket.write(text);
      if (!flushed && !blocked) {
        blocked = true;
        socket.pause();
        stallTimer = setTimeout(() => socket.destroy(), limits.stalledMs);
        stallTimer.unref();
        socket.once('drain', unblock);
      }
      return true;
    },
    becomeFeed: () => splitter.setMaxLineBytes(limits.feedLineBytes),
    becomeFramedFeed(onFrame, bad) {
      framed = { reader: new FrameReader(), onFrame, bad };
      // A client sends frames only once it has the reply: lines after the request are not frames, nor requests.
      splitter.end();
      queue.length = 0;
    },
  };
  const onFrames = (chunk: Buffer): void => {
    const f = framed!;
    f.reader.push(chunk, f.onFrame);
    if (f.reader.error !== null) { f.bad(f.reader.error); socket.destroy(); }
  };
  const pump = (): void => {
    while (!blocked && !socket.destroyed && queue.length > 0) {
      const item = queue.shift()!;
      try {
        handle(item);
      } catch (err) {
        handlers.crashed(err);
        socket.destroy();
      }
    }
  };
  const handle = (item: Item): void => {
    if ('oversize' in item) return handlers.bad(`message of ${item.oversize} bytes is over the limit`, conn);
    let value: unknown;
    try { value = JSON.parse(item.line); } catch { return handlers.bad(`not JSON: ${item.line.slice(0, 80)}`, conn); }
    handlers.message(value, conn);
  };
  socket.on('data', (chunk: Buffer) => {
    if (framed) return onFrames(chunk);
    splitter.push(chunk);
    pump();
    // The feed request was in this chunk: nothing after it in the chunk was a frame (see becomeFramedFeed).
  });
  socket.on('end', () => { if (!framed) { splitter.end(); pump(); } });
  socket.on('close', () => { if (stallTimer) clearTimeout(stallTimer); splitter.end(); queue.length = 0; });
  return conn;
}
