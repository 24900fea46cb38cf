// A derivation's last log lines, appended in O(1): successive versions share one append-only buffer and each sees
// its own [start, end) window, so the entity can be replaced per line without copying the whole tail.

export type LogTail = {
  /** Shared by every version; only ever appended to (or replaced by a compacted copy). */
  readonly buf: string[];
  readonly start: number;
  readonly end: number;
};

export const emptyLogTail: LogTail = { buf: [], start: 0, end: 0 };

export function appendLine(tail: LogTail, line: string, max: number): LogTail {
  let { buf, start } = tail;
  // Another version already appended past our end (a fork): copy our window before appending.
  if (tail.end !== buf.length || buf === emptyLogTail.buf) {
    buf = buf.slice(start, tail.end);
    start = 0;
  }
  buf.push(line);
  const end = buf.length;
  start = Math.max(start, end - max);
  // Compact once the dead prefix is three tails long, so memory stays bounded.
  if (start > 3 * max) return { buf: buf.slice(start), start: 0, end: end - start };
  return { buf, start, end };
}

export const logLines = (tail: LogTail): string[] => tail.buf.slice(tail.start, tail.end);

export const lastLogLine = (tail: LogTail): string | null => (tail.end > tail.start ? (tail.buf[tail.end - 1] ?? null) : null);

export const logLength = (tail: LogTail): number => tail.end - tail.start;
