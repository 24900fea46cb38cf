// Bytes -> lines for every stream we read (files, sockets, stdin): partial lines are kept until their newline,
// and a line longer than the limit is cut at the limit and reported once, never buffered without bound.

export type LineSink = {
  /** A complete line, without its newline. */
  line(text: string): void;
  /** A line longer than maxLineBytes: its first maxLineBytes, and its whole length in bytes. */
  oversize(head: string, totalBytes: number): void;
};

export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes dropped from the current oversize line, or -1 when not skipping. */
  private skipping = -1;
  private head = '';

  constructor(private readonly sink: LineSink, private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {}

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
  }

  private take(chunk: Buffer, start: number, end: number, complete: boolean): void {
    if (this.skipping >= 0) {
      this.skipping += end - start;
    } else {
      const room = this.maxLineBytes - this.pendingBytes;
      if (end - start > room) {
        this.pending.push(chunk.subarray(start, start + room));
        this.pendingBytes += room;
        this.skipping = end - start - room;
        this.head = this.drain();
      } else if (end > start) {
        this.pending.push(chunk.subarray(start, end));
        this.pendingBytes += end - start;
      }
    }
    if (complete) this.finishLine();
  }

  private finishLine(): void {
    if (this.skipping >= 0) {
      this.sink.oversize(this.head, this.maxLineBytes + this.skipping);
      this.skipping = -1;
      this.head = '';
    } else {
      this.sink.line(this.drain());
    }
  }

  private drain(): string {
    const only = this.pending.length === 1 ? this.pending[0] : undefined;
    const text = only ? only.toString('utf8') : Buffer.concat(this.pending, this.pendingBytes).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    return text;
  }
}
