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
// Ink clears the whole terminal itself when its last frame was as tall as the screen (after a shrink): the next frame
// is then drawn whole, since nothing of the last one is left on screen.
// eslint-disable-next-line no-control-regex
const CLEAR_PREFIX = /^(?:\x1b\[2J|\x1b\[3J|\x1b\[H|\x1bc)+/;
// eslint-disable-next-line no-control-regex
const CURSOR_ONLY = /^(?:\x1b\[\?25[lh])+$/;
// eslint-disable-next-line no-control-regex
const SYNC_MARKS = /\x1b\[\?2026[hl]/g;
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
  let previous: (string | undefined)[] = [];
  let sent = 0;
  let clear = true;
  const send = (s: string): void => { if (s !== '') { sent += Buffer.byteLength(s); out.write(s); } };
  const frame = (text: string): void => {
    const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    const parts: string[] = [];
    if (clear) { parts.push('\x1b[H\x1b[2J'); previous = []; clear = false; }
    const columns = out.columns ?? 0;
    const drawn: (string | undefined)[] = lines.slice();
    for (let i = 0; i < lines.length; i++) {
      const next = lines[i]!;
      const before = previous[i];
      if (next === before) continue;
      if (columns > 0 && visibleLength(next) > columns) {
        // A frame laid out for the width before a resize: wider lines would wrap into the next row. Only what fits is
        // drawn, and the row is redrawn whole next time.
        const cells = cellsOf(next);
        parts.push(`\x1b[${i + 1};1H${cells ? drawCells(cells, 0, columns) : ''}`);
        drawn[i] = undefined;
        if (!cells) clear = true;
        continue;
      }
      parts.push(changedPart(i, before, next, columns));
    }
    for (let i = lines.length; i < previous.length; i++) parts.push(`\x1b[${i + 1};1H\x1b[2K`);
    previous = drawn;
    if (parts.length > 0) send(SYNC_BEGIN + parts.join('') + SYNC_END);
  };
  const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')).replace(SYNC_MARKS, '');
    const done = rest.find((r): r is () => void => typeof r === 'function');
    if (text === '') { done?.(); return true; }
    if (CURSOR_ONLY.test(text)) send(text);
    else {
      let body = text.replace(ERASE_PREFIX, '');
      if (CLEAR_PREFIX.test(body)) { body = body.replace(CLEAR_PREFIX, ''); clear = true; }
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

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const visibleLength = (line: string): number => [...line.replace(ANSI, '')].length;

/** One cell of a drawn line: its character and the SGR state it is drawn in (canonical, so equal states compare equal). */
type Cell = { readonly ch: string; readonly sgr: string };

// eslint-disable-next-line no-control-regex
const TOKEN = /\x1b\[([0-9;]*)m|\x1b\[[0-9;?]*[A-Za-ln-z]|[\s\S]/gu;

/** SGR attributes as Ink writes them (chalk: each style opens and closes with its own code). */
type Attrs = { bold: boolean; dim: boolean; italic: boolean; underline: boolean; inverse: boolean; strike: boolean; fg: string; bg: string };
const plain = (): Attrs => ({ bold: false, dim: false, italic: false, underline: false, inverse: false, strike: false, fg: '', bg: '' });

function applySgr(a: Attrs, params: string): void {
  const p = params === '' ? [0] : params.split(';').map(Number);
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === 0) Object.assign(a, plain());
    else if (c === 1) a.bold = true;
    else if (c === 2) a.dim = true;
    else if (c === 22) { a.bold = false; a.dim = false; }
    else if (c === 3) a.italic = true; else if (c === 23) a.italic = false;
    else if (c === 4) a.underline = true; else if (c === 24) a.underline = false;
    else if (c === 7) a.inverse = true; else if (c === 27) a.inverse = false;
    else if (c === 9) a.strike = true; else if (c === 29) a.strike = false;
    else if (c === 38 || c === 48) {
      const n = p[i + 1] === 5 ? 3 : p[i + 1] === 2 ? 5 : 1;
      const v = p.slice(i, i + n).join(';');
      if (c === 38) a.fg = v; else a.bg = v;
      i += n - 1;
    } else if (c === 39) a.fg = ''; else if (c === 49) a.bg = '';
    else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) a.fg = String(c);
    else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) a.bg = String(c);
  }
}

const sgrOf = (a: Attrs): string => [a.bold && '1', a.dim && '2', a.italic && '3', a.underline && '4', a.inverse && '7', a.strike && '9', a.fg, a.bg]
  .filter((x): x is string => typeof x === 'string' && x !== '').join(';');

/** A line as cells, or null when it holds anything but SGR codes and one-column characters (then it is redrawn whole). */
export function cellsOf(line: string): Cell[] | null {
  const cells: Cell[] = [];
  const a = plain();
  let sgr = '';
  for (const m of line.matchAll(TOKEN)) {
    const t = m[0];
    if (m[1] !== undefined) { applySgr(a, m[1]); sgr = sgrOf(a); continue; }
    if (t.length > 1 && t.startsWith('\x1b')) return null;
    if (!ONE_COLUMN.test(t)) return null;
    cells.push({ ch: t, sgr });
  }
  return cells;
}

/** Cells start..end-1 as text, each run opened with its full SGR state, closed with a reset. */
function drawCells(cells: readonly Cell[], start: number, end: number): string {
  let out = '';
  let sgr: string | null = null;
  for (let i = start; i < end; i++) {
    const c = cells[i]!;
    if (c.sgr !== sgr) { out += `\x1b[0${c.sgr ? ';' + c.sgr : ''}m`; sgr = c.sgr; }
    out += c.ch;
  }
  return sgr ? out + '\x1b[0m' : out;
}

/** A gap of unchanged cells shorter than this is rewritten rather than jumped over (a CUP costs about as much). */
const JUMP = 8;

/**
 * One changed line: only the runs of cells that differ, each at its column (CUP) in its own colours; the whole line
 * when it has something but colours and one-column characters (wide text) or it is new.
 */
export function changedPart(row: number, before: string | undefined, next: string, columns = 0): string {
  // EL right after the last column (the cursor waiting to wrap) would erase that column's character: a full line
  // needs no erasing anyway.
  const whole = `\x1b[${row + 1};1H${next}${columns > 0 && visibleLength(next) >= columns ? '' : '\x1b[K'}`;
  if (before === undefined) return whole;
  const a = cellsOf(before);
  const b = cellsOf(next);
  if (!a || !b) return whole;
  let out = '';
  const n = Math.max(a.length, b.length);
  const same = (i: number): boolean => { const x = a[i]; const y = b[i]; return x !== undefined && y !== undefined && x.ch === y.ch && x.sgr === y.sgr; };
  for (let i = 0; i < Math.min(n, b.length);) {
    if (same(i)) { i++; continue; }
    let end = i + 1;
    for (let gap = 0; end < b.length && gap < JUMP; end++) gap = same(end) ? gap + 1 : 0;
    while (end > i + 1 && same(end - 1)) end--;
    out += `\x1b[${row + 1};${i + 1}H${drawCells(b, i, end)}`;
    i = end;
  }
  // A shorter line: what was drawn past its end is erased (a CUP past the last column would land on it instead).
  if (a.length > b.length && (columns <= 0 || b.length < columns)) out += `\x1b[${row + 1};${b.length + 1}H\x1b[K`;
  return out;
}
