// Sends the terminal only the lines that changed. Ink (standard mode) writes every frame as "erase the previous frame,
// then all of it": ~5 KB per frame at 120x40 even when one row changed. Ink 6's incrementalRendering option moves the
// cursor relative to where it thinks the frame starts and drifted by a line on the alternate screen (frames drawn one
// row low, seen in tmux), so this stands between Ink and the terminal instead: it takes each frame Ink writes, compares
// it with the last one line by line, and writes each changed line at its absolute row (CUP), inside synchronized
// output (DEC 2026) so a terminal never shows half a frame. Within a changed line only the part from the first to the
// last differing cell is written when the line is plain text up to there.

/** DEC private mode 2026: the terminal holds the display until the end mark. */
export const SYNC_BEGIN = '\x1b[?2026h';
export const SYNC_END = '\x1b[?2026l';

// eslint-disable-next-line no-control-regex
const ERASE_PREFIX = /^(?:\x1b\[2K(?:\x1b\[1A)?)+(?:\x1b\[G)?/;
// eslint-disable-next-line no-control-regex
const CURSOR_ONLY = /^(?:\x1b\[\?25[lh])+$/;
// eslint-disable-next-line no-control-regex
const SYNC_MARKS = /\x1b\[\?2026[hl]/g;
// eslint-disable-next-line no-control-regex
const ESC = /\x1b/;
/** Text whose string index is its terminal column: ASCII and the one-column glyphs the views and borders draw. */
const ONE_COLUMN = /^[\x20-\x7e·×…›←↑→↓⊘⏵⏸─│└├┌┐┘▲▸▼▾⚠✔✘⧖╭╮╯╰═║╔╗╚╝•]*$/u;

type Out = {
  write: (s: string) => unknown;
  readonly columns?: number;
  readonly rows?: number;
  on: (event: 'resize', listener: () => void) => unknown;
  off: (event: 'resize', listener: () => void) => unknown;
};

/** What Ink writes to: looks like the terminal's stream (size, resize events, a TTY) but diffs every frame. */
export type LineWriter = {
  readonly stream: NodeJS.WriteStream;
  /** Bytes sent to the terminal so far (the bench reads it). */
  readonly bytes: () => number;
  /** Forgets the screen: the next frame is drawn whole (after a resize, or something else wrote to the terminal). */
  readonly invalidate: () => void;
};

export function createLineWriter(out: Out): LineWriter {
  let previous: string[] = [];
  let sent = 0;
  let clear = true;
  const send = (s: string): void => { if (s !== '') { sent += Buffer.byteLength(s); out.write(s); } };
  const frame = (text: string): void => {
    const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    const parts: string[] = [];
    if (clear) { parts.push('\x1b[H\x1b[2J'); previous = []; clear = false; }
    for (let i = 0; i < lines.length; i++) {
      const next = lines[i]!;
      const before = previous[i];
      if (next === before) continue;
      parts.push(changedPart(i, before, next));
    }
    for (let i = lines.length; i < previous.length; i++) parts.push(`\x1b[${i + 1};1H\x1b[2K`);
    previous = lines;
    if (parts.length > 0) send(SYNC_BEGIN + parts.join('') + SYNC_END);
  };
  const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')).replace(SYNC_MARKS, '');
    const done = rest.find((r): r is () => void => typeof r === 'function');
    if (text === '') { done?.(); return true; }
    if (CURSOR_ONLY.test(text)) send(text);
    else {
      const body = text.replace(ERASE_PREFIX, '');
      // A bare erase (Ink clearing before a resize redraw): the next frame is drawn whole.
      if (body === '') clear = true;
      else frame(body);
    }
    done?.();
    return true;
  };
  const onResize = (): void => { clear = true; };
  out.on('resize', onResize);
  const stream = {
    write,
    isTTY: true,
    get columns() { return out.columns; },
    get rows() { return out.rows; },
    on: (event: 'resize', listener: () => void) => { out.on(event, listener); return stream; },
    off: (event: 'resize', listener: () => void) => { out.off(event, listener); return stream; },
    removeListener: (event: 'resize', listener: () => void) => { out.off(event, listener); return stream; },
    once: (event: 'resize', listener: () => void) => { const l = (): void => { out.off(event, l); listener(); }; out.on(event, l); return stream; },
    end: () => undefined,
  } as unknown as NodeJS.WriteStream;
  return { stream, bytes: () => sent, invalidate: () => { clear = true; } };
}

/**
 * One changed line: the whole line at its row, or, when both versions are plain text (no escape codes) up to the
 * first difference, only from that cell on, and only up to the last difference when the rest is plain text too.
 */
export function changedPart(row: number, before: string | undefined, next: string): string {
  const at = `\x1b[${row + 1};`;
  if (before === undefined) return `${at}1H${next}\x1b[K`;
  let start = 0;
  const n = Math.min(before.length, next.length);
  while (start < n && before.charCodeAt(start) === next.charCodeAt(start)) start++;
  const head = next.slice(0, start);
  // Escape codes before the cut would leave the terminal's colours unknown there: redraw the whole line.
  if (start === 0 || ESC.test(head) || !ONE_COLUMN.test(head)) return `${at}1H${next}\x1b[K`;
  let endNext = next.length;
  let endBefore = before.length;
  while (endNext > start && endBefore > start && before.charCodeAt(endBefore - 1) === next.charCodeAt(endNext - 1)) { endNext--; endBefore--; }
  const tail = next.slice(endNext);
  const sameLength = next.length === before.length;
  // The unchanged rest can stay on screen only when it sits in the same cells (same length, plain text).
  if (sameLength && !ESC.test(tail) && ONE_COLUMN.test(tail)) return `${at}${start + 1}H${next.slice(start, endNext)}`;
  return `${at}${start + 1}H${next.slice(start)}\x1b[K`;
}
