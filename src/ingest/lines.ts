// Bytes -> lines for every stream we read (files, sockets, stdin): partial lines are kept until their newline,
// and a line longer than the limit is cut at the limit and reported once, never buffered without bound.
// Partial lines are copied into one growing buffer: a peer trickling a line one byte per packet must not cost a
// Buffer object per byte. Sockets share a ByteBudget so that many peers together stay bounded as well.

export type LineSink = {
  /** A complete line, without its newline. */
  line(text: string): void;
  /**
   * A line longer than the limit: its first bytes (at most HEAD_BYTES), its whole length in bytes, and its last
   * TAIL_BYTES bytes (where a Nix record keeps its id and type, so a cut build-log line can still be placed).
   */
  oversize(head: string, totalBytes: number, tail: string): void;
};

export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/** Bytes of partial lines held by all the splitters sharing it. */
export type ByteBudget = {
  /** How many more bytes may be held now. */
  available(): number;
  take(bytes: number): void;
  give(bytes: number): void;
};

export type SplitterOptions = {
  /** Shared limit across connections; each splitter may always hold `guaranteedBytes` without asking it. */
  readonly budget?: ByteBudget;
  readonly guaranteedBytes?: number;
};

const SMALL_KEEP = 64 << 10;
export const TAIL_BYTES = 64;
/** Bytes of a cut line's prefix handed to `oversize` (enough for every reader of it; the line limit can be far more). */
export const HEAD_BYTES = 64 << 10;

export class LineSplitter {
  private acc: Buffer | null = null;
  private pendingBytes = 0;
  /** Bytes counted against the shared budget (the accumulator's capacity beyond the guaranteed part). */
  private borrowed = 0;
  /** Bytes dropped from the current oversize line, or -1 when not skipping. */
  private skipping = -1;
  private head = '';
  private tail: Buffer = Buffer.alloc(0);

  constructor(private readonly sink: LineSink, private maxLineBytes = DEFAULT_MAX_LINE_BYTES,
    private readonly opts: SplitterOptions = {}) {}

  /** A new limit from the next line on (a control connection that turns into a feed). */
  setMaxLineBytes(bytes: number): void {
    this.maxLineBytes = bytes;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      this.take(chunk, start, end, nl >= 0);
      start = end + 1;
    }
  }

  /** End of stream: a last line without a newline still counts. */
  end(): void {
    if (this.pendingBytes > 0 || this.skipping >= 0) this.finishLine();
    this.release();
  }

  /** Bytes this splitter holds for unfinished lines. */
  get heldBytes(): number {
    return this.acc?.length ?? 0;
  }

  private take(chunk: Buffer, start: number, end: number, complete: boolean): void {
    if (this.skipping >= 0) {
      this.skipping += end - start;
      this.keepTail(chunk, start, end);
    } else if (complete && this.pendingBytes === 0 && end - start <= this.maxLineBytes) {
      // The common case: a whole line inside one chunk, no copy.
      this.sink.line(chunk.toString('utf8', start, end));
      return;
    } else if (end > start) {
      const room = this.room(end - start);
      const n = Math.min(room, end - start);
      if (n > 0) { chunk.copy(this.acc!, this.pendingBytes, start, start + n); this.pendingBytes += n; }
      if (n < end - start) this.startSkipping(chunk, start + n, end);
    }
    if (complete) this.finishLine();
  }

  /** Over the limit: keep a bounded prefix and the tail, free the rest now (not when the line ends). */
  private startSkipping(chunk: Buffer, from: number, end: number): void {
    this.head = this.acc ? this.acc.toString('utf8', 0, Math.min(this.pendingBytes, HEAD_BYTES)) : '';
    this.skipping = this.pendingBytes + (end - from);
    this.release();
    this.keepTail(chunk, from, end);
  }

  /** Grows the accumulator for `want` more bytes, within the line limit and the budget; returns the room got. */
  private room(want: number): number {
    const need = Math.min(this.pendingBytes + want, this.maxLineBytes);
    const have = this.acc?.length ?? 0;
    if (need <= have) return need - this.pendingBytes;
    let size = Math.min(Math.max(have * 2, need, 256), this.maxLineBytes);
    const guaranteed = this.opts.guaranteedBytes ?? 0;
    const budget = this.opts.budget;
    // Invariant: borrowed = the accumulator's bytes beyond the guaranteed part.
    if (budget && size > guaranteed) {
      const extra = size - guaranteed - this.borrowed;
      const allowed = Math.min(extra, budget.available());
      if (allowed > 0) { budget.take(allowed); this.borrowed += allowed; }
      size = Math.max(have, guaranteed + this.borrowed);
    }
    if (size > have) {
      const next = Buffer.allocUnsafe(size);
      if (this.acc) this.acc.copy(next, 0, 0, this.pendingBytes);
      this.acc = next;
    }
    return Math.max(0, Math.min(size, this.maxLineBytes) - this.pendingBytes);
  }

  private finishLine(): void {
    if (this.skipping >= 0) {
      this.sink.oversize(this.head, this.skipping, this.tail.toString('utf8'));
      this.skipping = -1;
      this.head = '';
      this.tail = Buffer.alloc(0);
    } else {
      this.sink.line(this.drain());
    }
    // Keep a small buffer for the next partial line; give back a big one (a giant line must not pin its memory).
    if ((this.acc?.length ?? 0) > Math.min(SMALL_KEEP, this.opts.budget ? this.opts.guaranteedBytes ?? 0 : SMALL_KEEP)) this.release();
  }

  /** The last TAIL_BYTES bytes of the skipped part of the line. */
  private keepTail(chunk: Buffer, start: number, end: number): void {
    if (end - start >= TAIL_BYTES) this.tail = Buffer.from(chunk.subarray(end - TAIL_BYTES, end));
    else if (end > start) this.tail = Buffer.concat([this.tail, chunk.subarray(start, end)]).subarray(-TAIL_BYTES);
  }

  private drain(): string {
    const text = this.acc ? this.acc.toString('utf8', 0, this.pendingBytes) : '';
    this.pendingBytes = 0;
    return text;
  }

  private release(): void {
    this.acc = null;
    this.pendingBytes = 0;
    if (this.borrowed > 0) { this.opts.budget?.give(this.borrowed); this.borrowed = 0; }
  }
}

/** A budget of `maxBytes` shared by every splitter given it. */
export function byteBudget(maxBytes: number): ByteBudget & { readonly used: number } {
  let used = 0;
  return {
    get used() { return used; },
    available: () => Math.max(0, maxBytes - used),
    take: (n) => { used += n; },
    give: (n) => { used = Math.max(0, used - n); },
  };
}
