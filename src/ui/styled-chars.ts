// A line as Ink's styled characters, as Ink's tokenizer (@alcalzone/ansi-tokenize) makes them, without sending the
// plain ASCII through Intl.Segmenter: the tokenizer segments every line into graphemes, about 1 us a character, the
// largest cost of a frame whose rows changed (profile: tokenize, styledCharsFromTokens). An ASCII character next to
// ASCII characters is a grapheme of its own, one column wide, so it becomes its char token directly; SGR codes and
// every stretch with anything else in it (with one character either side, where a grapheme could reach) go through
// the tokenizer itself, and the styles come from its own styledCharsFromTokens. A line with any other escape, or with
// anything but ASCII right after a code, goes through the tokenizer whole. tests/ui/ink-caches.test.tsx compares the two on every line the views draw.

export type Token = { readonly type: string; readonly [k: string]: unknown };

/** The tokenizer's functions this needs. */
export type Tokenizer = {
  readonly tokenize: (s: string) => Token[];
  readonly styledCharsFromTokens: (tokens: Token[]) => unknown[];
  readonly reduceAnsiCodesIncremental: (codes: readonly Token[], add: readonly Token[]) => Token[];
};

// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/y;

const isAscii = (c: number): boolean => c >= 0x20 && c <= 0x7e;

/** The line's tokens; null when it holds anything but SGR codes and printable text (the tokenizer does it whole). */
export function fastTokens(line: string, tk: Tokenizer): Token[] | null {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === 0x1b) {
      SGR.lastIndex = i;
      const m = SGR.exec(line);
      if (!m) return null;
      i += m[0].length;
      // A mark right after the code joins its final "m" in the segmenter, and the tokenizer then drops it with the
      // code: such a line goes to the tokenizer whole, to come out the same.
      if (i < line.length && !isAscii(line.charCodeAt(i)) && line.charCodeAt(i) !== 0x1b) return null;
      for (const t of tk.tokenize(m[0])) out.push(t);
      continue;
    }
    if (c < 0x20 || c === 0x7f) return null;
    const next = i + 1 < line.length ? line.charCodeAt(i + 1) : 0x20;
    if (isAscii(c) && (isAscii(next) || next === 0x1b)) {
      out.push({ type: 'char', value: line[i]!, fullWidth: false });
      i++;
      continue;
    }
    // From here (an ASCII character a mark may join, or the first non-ASCII one) to one ASCII character past the
    // last non-ASCII one: graphemes never cross an ASCII pair or an escape, so its segments are the whole line's.
    let j = i + 1;
    while (j < line.length) {
      const d = line.charCodeAt(j);
      if (d === 0x1b || d < 0x20 || d === 0x7f) break;
      const after = j + 1 < line.length ? line.charCodeAt(j + 1) : 0x20;
      if (isAscii(d) && (isAscii(after) || after === 0x1b)) { j++; break; }
      j++;
    }
    for (const t of tk.tokenize(line.slice(i, j))) out.push(t);
    i = j;
  }
  return out;
}

/**
 * Ink's styled characters for `line`, the same as styledCharsFromTokens(tokenize(line)); built here in one pass (the
 * tokenizer's version copies each token and its styles per character), the styles reduced by the tokenizer's own
 * reduceAnsiCodesIncremental. Characters in one run of styles share its (never modified) styles array, as Ink's
 * Output itself shares a wide character's.
 */
export function styledChars(line: string, tk: Tokenizer): unknown[] {
  const tokens = fastTokens(line, tk);
  if (!tokens) return tk.styledCharsFromTokens(tk.tokenize(line));
  const out: unknown[] = [];
  let codes: readonly Token[] = [];
  for (const t of tokens) {
    if (t.type === 'ansi') codes = tk.reduceAnsiCodesIncremental(codes, [t]);
    else if (t.type === 'char') out.push({ type: 'char', value: t.value, fullWidth: t.fullWidth, styles: codes });
  }
  return out;
}
