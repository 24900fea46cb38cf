// The client end of a feed: `{op:"feed", framed:true}`, the daemon's reply, then the log as raw bytes in frames and
// an exit frame (src/protocol/feed-frames.ts); a daemon whose reply does not say `framed` gets one `{line}` per log
// line and a final `{exit}`, as before frames.
// A daemon that restarts mid-build has no state: the feed reconnects (with backoff) and replays the log held so
// far, so the build shows again. Nothing here waits: Nix's stderr is read at full speed whatever the daemon does.
import { connect, type Socket } from 'node:net';
import { atFrame, exitFrame, logFrames } from '../protocol/feed-frames.js';

export type LogFeed = {
  line(text: string): void;
  /** The Nix client's pid, once known (shown as the job's client). */
  setPid(pid: number | null): void;
  end(exitCode: number | null): Promise<void>;
};

export type LogFeedOptions = {
  /** The log held for a replay: all of it up to half this, then all but build-log and progress lines. */
  readonly maxHeldBytes?: number;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Unsent bytes beyond the replay after which a daemon that does not read is dropped (and reconnected to). */
  readonly maxBacklogBytes?: number;
};

const DEFAULTS = { maxHeldBytes: 64 << 20, minBackoffMs: 100, maxBackoffMs: 2000, maxBacklogBytes: 16 << 20 };

/** Build log lines and progress: the bulk of a log, and what a replay can best do without. */
const isBulk = (line: string): boolean => line.includes('"action":"result"');

function connectOnce(controlPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(controlPath);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined); // a daemon that dies mid-build must not kill the build: Nix goes on
      resolve(socket);
    });
  });
}

const frame = (value: unknown): string => JSON.stringify(value) + '\n';

/** Log lines gathered for one frame: written at the end of the turn, or at this size. */
const PENDING_BYTES = 256 << 10;
/** The daemon's reply to the feed request is one short line; a longer one is not a reply. */
const MAX_REPLY_BYTES = 64 << 10;
/** A daemon that does not answer the feed request in this long is dropped (and reconnected to): lines wait meanwhile. */
const REPLY_TIMEOUT_MS = 10_000;

/** Calls `done` with the first line the daemon writes (null if the socket closes first or it is no reply). */
function firstLine(s: Socket, done: (line: string | null) => void): void {
  let got = '';
  let finished = false;
  const finish = (line: string | null): void => {
    if (finished) return;
    finished = true;
    s.off('data', onData);
    s.off('close', onClose);
    done(line);
  };
  const onData = (chunk: Buffer): void => {
    got += chunk.toString('utf8');
    const nl = got.indexOf('\n');
    if (nl >= 0) finish(got.slice(0, nl));
    else if (got.length > MAX_REPLY_BYTES) finish(null);
  };
  const onClose = (): void => finish(null);
  s.on('data', onData);
  s.on('close', onClose);
}

/** Whether the reply says frames follow, and whether the daemon takes the times lines were read (FRAME_AT). */
function framedReply(line: string | null): { framed: boolean; times: boolean } {
  try {
    const r = JSON.parse(line ?? '') as { ok?: unknown; op?: unknown; framed?: unknown; times?: unknown };
    const framed = r.ok === true && r.op === 'feed' && r.framed === true;
    return { framed, times: framed && r.times === true };
  } catch {
    return { framed: false, times: false };
  }
}

export async function connectFeed(controlPath: string, command: string, options: LogFeedOptions = {}): Promise<LogFeed> {
  const o = { ...DEFAULTS, ...options };
  let socket: Socket | null = await connectOnce(controlPath);
  const held: string[] = [];
  /** When each held line was read: a replay to a restarted daemon carries them (FRAME_AT), so its times are real. */
  const heldAt: number[] = [];
  let heldBytes = 0;
  const startedAt = Date.now();
  let pid: number | null = null;
  let opened = false;
  let ended = false;
  let backlogLimit = o.maxBacklogBytes;
  let backoff = o.minBackoffMs;
  let retry: NodeJS.Timeout | null = null;
  /** Whether the current socket's daemon takes frames (else `{line}` objects). */
  let framed = false;
  /** Whether it takes FRAME_AT frames. */
  let times = false;
  let pending: string[] = [];
  let pendingBytes = 0;
  let flushQueued = false;
  let awaitingReply = false;

  /** Index in `held` of the next line a replay sends; null when live (every held line sent). */
  let replayAt: number | null = null;
  let replayTo: Socket | null = null;
  const replayWaiters: (() => void)[] = [];
  const replayDone = (): void => {
    replayAt = null;
    replayTo = null;
    for (const w of replayWaiters.splice(0)) w();
  };

  const hold = (text: string): boolean => {
    // During a replay every line is held, so that it is sent after the replayed ones, in order; while the daemon's
    // reply is awaited the usual bound holds (a daemon that never answers must not grow this without bound).
    if ((replayAt === null || awaitingReply) && (heldBytes >= o.maxHeldBytes || (heldBytes >= o.maxHeldBytes / 2 && isBulk(text)))) return false;
    held.push(text);
    heldAt.push(Date.now());
    heldBytes += text.length;
    return true;
  };
  const encode = (lines: readonly string[]): Buffer | string => (framed
    ? logFrames(Buffer.from(lines.join('\n') + '\n'))
    : lines.map((l) => frame({ line: l })).join(''));
  /** Held lines [from, to) for a replay: with the times they were read, runs of one time behind one FRAME_AT. */
  const encodeHeld = (from: number, to: number): Buffer | string => {
    if (!framed || !times) return encode(held.slice(from, to));
    const parts: Buffer[] = [];
    for (let i = from; i < to;) {
      let j = i + 1;
      while (j < to && heldAt[j] === heldAt[i]) j++;
      parts.push(atFrame(heldAt[i]!), logFrames(Buffer.from(held.slice(i, j).join('\n') + '\n')));
      i = j;
    }
    return Buffer.concat(parts);
  };
  /**
   * The feed request, the daemon's reply (frames or lines), then every line held so far (all a new daemon needs),
   * in slices: Nix is read meanwhile, and every line is held until the replay is done.
   */
  const open = (s: Socket): void => {
    s.write(frame({ op: 'feed', command, pid, framed: true, startedAt }));
    replayAt = 0;
    replayTo = s;
    framed = false;
    times = false;
    pending = [];
    pendingBytes = 0;
    const silent = setTimeout(() => s.destroy(), REPLY_TIMEOUT_MS);
    silent.unref();
    awaitingReply = true;
    firstLine(s, (reply) => {
      clearTimeout(silent);
      awaitingReply = false;
      if (s !== socket) return;
      ({ framed, times } = framedReply(reply));
      replaySlice();
    });
  };
  const replaySlice = (): void => {
    const s = replayTo;
    if (!s || replayAt === null || s !== socket || s.destroyed) return replayDone();
    const end = Math.min(held.length, replayAt + 2000);
    const flushed = s.write(encodeHeld(replayAt, end));
    replayAt = end;
    if (replayAt >= held.length) {
      // Live lines from here on: the daemon's own receive time again.
      if (framed && times) s.write(atFrame(0));
      backlogLimit = s.writableLength + o.maxBacklogBytes;
      return replayDone();
    }
    if (flushed) setImmediate(replaySlice); else s.once('drain', replaySlice);
  };
  const write = (data: Buffer | string): void => {
    if (!socket) return;
    socket.write(data);
    // A daemon that stopped reading: drop it rather than buffer without bound; the replay covers the gap.
    if (socket.writableLength > backlogLimit) socket.destroy();
  };
  /** Lines gathered in this turn go as one frame: a frame per line would cost a write and a header each. */
  const flushPending = (): void => {
    flushQueued = false;
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    pendingBytes = 0;
    if (socket && replayAt === null) write(encode(lines));
  };
  const sendLine = (text: string): void => {
    if (!socket || !opened || replayAt !== null) return;
    if (!framed) return write(frame({ line: text }));
    pending.push(text);
    pendingBytes += text.length + 1;
    if (pendingBytes >= PENDING_BYTES) flushPending();
    else if (!flushQueued) { flushQueued = true; setImmediate(flushPending); }
  };
  const attach = (s: Socket): void => {
    socket = s;
    backoff = o.minBackoffMs;
    s.once('close', () => {
      if (socket === s) socket = null;
      // Closed before its reply or during its replay: the replay is over (a reconnect starts another).
      if (replayTo === s) replayDone();
      if (!ended) scheduleRetry();
    });
    if (opened) open(s);
  };
  const scheduleRetry = (): void => {
    if (retry || ended) return;
    retry = setTimeout(() => {
      retry = null;
      connectOnce(controlPath).then((s) => { if (ended) s.destroy(); else attach(s); }, () => scheduleRetry());
    }, backoff);
    retry.unref();
    backoff = Math.min(o.maxBackoffMs, backoff * 2);
  };
  attach(socket);

  return {
    line: (text) => { hold(text); sendLine(text); },
    setPid: (p) => {
      pid = p;
      if (opened) return;
      opened = true;
      if (socket) open(socket);
    },
    end: async (exit) => {
      if (!opened) { opened = true; if (socket) open(socket); }
      ended = true;
      if (retry) { clearTimeout(retry); retry = null; }
      // Disconnected at the end: one last try, so a daemon restarted just now still gets the whole build.
      if (!socket) {
        try { const s = await connectOnce(controlPath); socket = s; open(s); } catch { return; }
      }
      // The exit goes after the last replayed line.
      if (replayAt !== null) await new Promise<void>((done) => { replayWaiters.push(done); });
      const s = socket;
      if (!s || s.destroyed) return;
      flushPending();
      await new Promise<void>((done) => {
        s.write(framed ? exitFrame(exit) : frame({ exit }));
        s.end(() => done());
        setTimeout(done, 2000).unref();
      });
    },
  };
}
