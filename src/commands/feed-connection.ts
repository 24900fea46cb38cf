// The client end of a feed: `{op:"feed"}` then one `{line}` per log line and a final `{exit}` on the control socket.
// A daemon that restarts mid-build has no state: the feed reconnects (with backoff) and replays the log held so
// far, so the build shows again. Nothing here waits: Nix's stderr is read at full speed whatever the daemon does.
import { connect, type Socket } from 'node:net';

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

export async function connectFeed(controlPath: string, command: string, options: LogFeedOptions = {}): Promise<LogFeed> {
  const o = { ...DEFAULTS, ...options };
  let socket: Socket | null = await connectOnce(controlPath);
  const held: string[] = [];
  let heldBytes = 0;
  let pid: number | null = null;
  let opened = false;
  let ended = false;
  let backlogLimit = o.maxBacklogBytes;
  let backoff = o.minBackoffMs;
  let retry: NodeJS.Timeout | null = null;

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
    // During a replay every line is held, so that it is sent after the replayed ones, in order.
    if (replayAt === null && (heldBytes >= o.maxHeldBytes || (heldBytes >= o.maxHeldBytes / 2 && isBulk(text)))) return false;
    held.push(text);
    heldBytes += text.length;
    return true;
  };
  /** The feed request, then every line held so far (all a new daemon needs), in slices: Nix is read meanwhile. */
  const open = (s: Socket): void => {
    s.write(frame({ op: 'feed', command, pid }));
    replayAt = 0;
    replayTo = s;
    replaySlice();
  };
  const replaySlice = (): void => {
    const s = replayTo;
    if (!s || replayAt === null || s !== socket || s.destroyed) return replayDone();
    const end = Math.min(held.length, replayAt + 2000);
    const flushed = s.write(held.slice(replayAt, end).map((l) => frame({ line: l })).join(''));
    replayAt = end;
    if (replayAt >= held.length) {
      backlogLimit = s.writableLength + o.maxBacklogBytes;
      return replayDone();
    }
    if (flushed) setImmediate(replaySlice); else s.once('drain', replaySlice);
  };
  const send = (value: unknown): void => {
    if (!socket || !opened || replayAt !== null) return;
    socket.write(frame(value));
    // A daemon that stopped reading: drop it rather than buffer without bound; the replay covers the gap.
    if (socket.writableLength > backlogLimit) socket.destroy();
  };
  const attach = (s: Socket): void => {
    socket = s;
    backoff = o.minBackoffMs;
    s.once('close', () => {
      if (socket === s) socket = null;
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
    line: (text) => { hold(text); send({ line: text }); },
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
      await new Promise<void>((done) => {
        s.write(frame({ exit }));
        s.end(() => done());
        setTimeout(done, 2000).unref();
      });
    },
  };
}
