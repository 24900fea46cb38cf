// Draws the widget inline (not the alternate screen), below what the build printed: a frame replaces the last one
// rewriting only the lines that changed; text printed "above" first erases the widget, so it is never torn by it.
// Between frames the cursor rests at column 0 of the widget's last line, which a resize's reflow keeps track of.
import type { Line, Tone } from './frame.js';

export type InlineWriter = {
  /** Whole lines (ending in '\n') to print above the widget, on `to` (stdout's relay) or the widget's stream. */
  print(text: string, to?: NodeJS.WritableStream): void;
  /** Replaces the widget with these lines. */
  draw(lines: readonly Line[]): void;
  /** The terminal changed size: lines drawn before may have wrapped (reflowed) at the new width. */
  resized(): void;
  /** Erases the widget and gives the cursor back. */
  clear(): void;
  /** Bytes written so far (the bench's figure). */
  readonly written: () => number;
};

const SGR: Readonly<Record<Tone, string>> = {
  normal: '', frame: '34', running: '33', done: '32', failed: '31', dim: '2', waiting: '35', download: '36',
};

/** A line with colours for a terminal. */
export function renderLine(line: Line): string {
  let s = '';
  for (const seg of line) s += SGR[seg.tone] === '' ? seg.text : `\u001b[${SGR[seg.tone]}m${seg.text}\u001b[0m`;
  return s;
}

const widthOf = (line: Line): number => line.reduce((n, s) => n + [...s.text].length, 0);

/** Writers with the cursor hidden: whatever ends the process, it gets the cursor back. */
const hidden = new Set<NodeJS.WriteStream>();
let exitHook = false;
function restoreOnExit(out: NodeJS.WriteStream): void {
  hidden.add(out);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => { for (const o of hidden) o.write('\u001b[?25h'); });
}

export function createInlineWriter(out: NodeJS.WriteStream): InlineWriter {
  /** What is on screen: rendered text and width of each widget line. */
  let shown: { text: string; width: number }[] = [];
  /** Terminal rows each shown line takes now (more than 1 after a narrowing resize wrapped it). */
  let heights: number[] = [];
  let cursorHidden = false;
  let bytes = 0;
  const write = (s: string, to: NodeJS.WritableStream = out): void => {
    if (s === '') return;
    bytes += Buffer.byteLength(s);
    to.write(s);
  };
  /** From column 0 of the last line's first row to column 0 of the widget's first row. */
  const toTop = (): string => {
    const up = heights.slice(0, -1).reduce((a, b) => a + b, 0);
    return up > 0 ? `\u001b[${up}A\r` : '\r';
  };
  const erase = (): string => {
    if (shown.length === 0) return '';
    const s = `${toTop()}\u001b[J`;
    shown = [];
    heights = [];
    return s;
  };
  return {
    print(text, to) {
      if (text === '') return;
      const body = text.endsWith('\n') ? text : `${text}\n`;
      if (to && to !== out) { write(erase()); write(body, to); } else write(erase() + body);
    },
    draw(lines) {
      const next = lines.map((l) => ({ text: renderLine(l), width: widthOf(l) }));
      let s = cursorHidden ? '' : '\u001b[?25l';
      if (!cursorHidden) restoreOnExit(out);
      cursorHidden = true;
      if (next.length === 0) { write(s + erase()); return; }
      const wrapped = heights.some((h) => h > 1);
      if (wrapped) s += erase();
      s += shown.length > 0 ? toTop() : '';
      for (let i = 0; i < next.length; i++) {
        if (i > 0) s += '\r\n';
        if (next[i]!.text !== shown[i]?.text) s += `\u001b[2K${next[i]!.text}`;
      }
      if (next.length < shown.length) s += '\r\n\u001b[J\u001b[1A';
      write(`${s}\r`);
      shown = next;
      heights = next.map(() => 1);
    },
    resized() {
      const columns = Math.max(1, out.columns || 80);
      heights = shown.map((l) => Math.max(1, Math.ceil(l.width / columns)));
    },
    clear() {
      write(erase() + (cursorHidden ? '\u001b[?25h' : ''));
      cursorHidden = false;
      hidden.delete(out);
    },
    written: () => bytes,
  };
}
