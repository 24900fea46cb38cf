// A framed feed (`{op:"feed", framed:true}` answered with `framed:true`): after the daemon's reply, the log travels
// as raw bytes in length-prefixed frames instead of one `{line}` JSON object per line (`npm run bench` key `lines`:
// the envelope cost about 4x the raw bytes). A frame is [u32 big-endian payload length][u8 type][payload]. Only the
// sender's framing says where a frame ends, so no byte of Nix's output can end the feed or forge an exit code: the
// exit travels in a frame of its own type. Frames need not hold whole lines: the daemon splits the bytes into lines
// (and bounds them) as it does for a log socket.

/** Log bytes, as Nix wrote them (lines ending in "\n"; a line may continue in the next frame). */
export const FRAME_LOG = 1;
/** The end: payload [u8 1 if an exit code follows, else 0][i32 big-endian exit code]. */
export const FRAME_EXIT = 2;
/**
 * When the sender read the log bytes that follow (payload: f64 big-endian ms since the epoch; 0: from now on, as the
 * daemon receives them). Sent only to a daemon whose reply says `times: true`, before replayed lines: a daemon that
 * restarted mid-build then shows the build's real times, not the replay's. The daemon clamps it (control-server.ts).
 */
export const FRAME_AT = 3;
export const FRAME_HEADER_BYTES = 5;
/** Largest payload a reader accepts (a writer cuts its bytes to fit): bounds what the daemon buffers per feed. */
export const MAX_FRAME_BYTES = 1 << 20;

export type Frame = { readonly type: 'log'; readonly bytes: Buffer } | { readonly type: 'exit'; readonly code: number | null }
  | { readonly type: 'at'; readonly at: number };

function header(type: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  h.writeUInt32BE(length, 0);
  h[4] = type;
  return h;
}

/** `bytes` as log frames of at most `max` payload bytes each (one Buffer: one write). */
export function logFrames(bytes: Buffer, max = MAX_FRAME_BYTES): Buffer {
  if (bytes.length <= max) return Buffer.concat([header(FRAME_LOG, bytes.length), bytes]);
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += max) {
    const piece = bytes.subarray(at, Math.min(bytes.length, at + max));
    parts.push(header(FRAME_LOG, piece.length), piece);
  }
  return Buffer.concat(parts);
}

export function exitFrame(code: number | null): Buffer {
  const f = Buffer.alloc(FRAME_HEADER_BYTES + 5);
  header(FRAME_EXIT, 5).copy(f);
  f[FRAME_HEADER_BYTES] = code === null ? 0 : 1;
  f.writeInt32BE(code === null ? 0 : code | 0, FRAME_HEADER_BYTES + 1);
  return f;
}

/** The time the following log bytes were read (0: as received from now on). */
export function atFrame(at: number): Buffer {
  const f = Buffer.alloc(FRAME_HEADER_BYTES + 8);
  header(FRAME_AT, 8).copy(f);
  f.writeDoubleBE(at, FRAME_HEADER_BYTES);
  return f;
}

/**
 * Reassembles frames from a byte stream, holding at most one frame's bytes. A bad header (an unknown type, a length
 * over MAX_FRAME_BYTES, an exit frame of the wrong size) is fatal: the stream cannot be resynchronised, so `error`
 * is set and every later push is refused.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  error: string | null = null;

  push(chunk: Buffer, onFrame: (f: Frame) => void): void {
    if (this.error !== null || chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= FRAME_HEADER_BYTES) {
      // The header from the first chunk (flattened only when a header spans chunks), the payload once complete.
      if (this.pending[0]!.length < FRAME_HEADER_BYTES) this.flatten();
      const length = this.pending[0]!.readUInt32BE(0);
      const type = this.pending[0]![4];
      if (type !== FRAME_LOG && type !== FRAME_EXIT && type !== FRAME_AT) { this.fail(`unknown feed frame type ${type}`); return; }
      if (length > MAX_FRAME_BYTES || (type === FRAME_EXIT && length !== 5) || (type === FRAME_AT && length !== 8)) { this.fail(`bad feed frame length ${length} (type ${type})`); return; }
      if (this.pendingBytes < FRAME_HEADER_BYTES + length) return;
      const head = this.flatten();
      const payload = head.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
      const rest = head.subarray(FRAME_HEADER_BYTES + length);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
      if (type === FRAME_LOG) onFrame({ type: 'log', bytes: payload });
      else if (type === FRAME_AT) onFrame({ type: 'at', at: payload.readDoubleBE(0) });
      else onFrame({ type: 'exit', code: payload[0] === 1 ? payload.readInt32BE(1) : null });
    }
  }

  /** Bytes buffered for a frame not yet complete. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** The pending bytes as one buffer (copied only when they span chunks). */
  private flatten(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
    return this.pending[0]!;
  }

  private fail(reason: string): void {
    this.error = reason;
    this.pending = [];
    this.pendingBytes = 0;
  }
}
