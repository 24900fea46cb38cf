// The ATerm subset Nix writes .drv files in: strings, [lists], (tuples) and Name(args). Total: bad text -> a reason.
// Linear time (every character is looked at a bounded number of times) and no recursion, so the parse can stop
// after any slice of the text and resume: parseATermAsync yields to the event loop between slices.

export type ATerm =
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'list'; readonly items: readonly ATerm[] }
  | { readonly kind: 'tuple'; readonly items: readonly ATerm[] }
  | { readonly kind: 'app'; readonly name: string; readonly args: readonly ATerm[] };

export type ATermParse = { readonly ok: true; readonly term: ATerm } | { readonly ok: false; readonly reason: string };

/** Deep enough for any real .drv (they nest 4 levels); bounds memory on hostile input. */
const MAX_DEPTH = 64;
/** Characters parsed between two yields of parseATermAsync: a few milliseconds of work at most. */
export const ATERM_SLICE_CHARS = 64 * 1024;

type Frame = { readonly kind: 'list' | 'tuple' | 'app'; readonly name: string; readonly items: ATerm[] };

type Parser = {
  readonly text: string;
  pos: number;
  readonly stack: Frame[];
  /** True when the next thing must be a value; false after one (then `,`, a closing bracket or the end). */
  wantValue: boolean;
  result: ATerm | null;
  // Next `"` and `\` at or after the position they were last searched from: only searched again once passed, so
  // strings cost their own length, not the rest of the file (the old parser's 24 s for 4 MB).
  quote: number;
  backslash: number;
};

/** Internal signal, caught at the entry points: never escapes this module. */
class Bad {
  constructor(readonly reason: string) {}
}

export function parseATerm(text: string): ATermParse {
  const p = parser(text);
  return guard(() => {
    step(p, text.length);
    return finish(p);
  });
}

/** The same result as parseATerm, but the event loop runs between slices of ATERM_SLICE_CHARS characters. */
export async function parseATermAsync(text: string, sliceChars = ATERM_SLICE_CHARS): Promise<ATermParse> {
  const p = parser(text);
  for (;;) {
    const r = guard(() => (step(p, p.pos + sliceChars) ? finish(p) : null));
    if (r !== null) return r;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function parser(text: string): Parser {
  return { text, pos: 0, stack: [], wantValue: true, result: null, quote: -1, backslash: -1 };
}

function guard<T>(run: () => T): T | ATermParse {
  try {
    return run();
  } catch (err) {
    if (err instanceof Bad) return { ok: false, reason: err.reason };
    throw err;
  }
}

function finish(p: Parser): ATermParse {
  if (p.result === null) fail(p, 'unexpected end of text');
  if (p.pos !== p.text.length && p.text.slice(p.pos).trim() !== '') fail(p, 'trailing text');
  return { ok: true, term: p.result };
}

function fail(p: Parser, what: string, at = p.pos): never {
  throw new Bad(`${what} at offset ${at}`);
}

/** Parses until the top term is complete (true) or the position passes `until` (false: call again). */
function step(p: Parser, until: number): boolean {
  while (p.result === null) {
    if (p.pos > until) return false;
    if (p.wantValue) value(p);
    else afterValue(p);
  }
  return true;
}

function value(p: Parser): void {
  const c = p.text[p.pos];
  if (c === '"') return done(p, { kind: 'str', value: str(p) });
  if (c === '[' || c === '(') return open(p, c === '[' ? 'list' : 'tuple', '');
  const m = /^[A-Za-z][A-Za-z0-9_]*/.exec(p.text.slice(p.pos, p.pos + 64));
  if (m === null) fail(p, c === undefined ? 'unexpected end of text' : `unexpected ${JSON.stringify(c)}`);
  p.pos += m[0].length;
  if (p.text[p.pos] !== '(') fail(p, `expected "(" after ${m[0]}`);
  open(p, 'app', m[0]);
}

function open(p: Parser, kind: Frame['kind'], name: string): void {
  if (p.stack.length >= MAX_DEPTH) fail(p, `nested deeper than ${MAX_DEPTH}`);
  const close = kind === 'list' ? ']' : ')';
  p.pos++; // the opening bracket
  if (p.text[p.pos] === close) {
    p.pos++;
    return done(p, term(kind, name, []));
  }
  p.stack.push({ kind, name, items: [] });
}

function afterValue(p: Parser): void {
  const frame = p.stack[p.stack.length - 1];
  if (frame === undefined) return; // unreachable: a value with no frame is the result
  const close = frame.kind === 'list' ? ']' : ')';
  const c = p.text[p.pos];
  p.pos++;
  if (c === ',') {
    p.wantValue = true;
    return;
  }
  if (c !== close) fail(p, `expected "," or "${close}" in ${frame.kind === 'list' ? '[]' : '()'}`, p.pos - 1);
  p.stack.pop();
  done(p, term(frame.kind, frame.name, frame.items));
}

function term(kind: Frame['kind'], name: string, items: ATerm[]): ATerm {
  return kind === 'app' ? { kind, name, args: items } : { kind, items };
}

/** A complete value: an item of the innermost open bracket, or the result. */
function done(p: Parser, t: ATerm): void {
  const frame = p.stack[p.stack.length - 1];
  if (frame === undefined) p.result = t;
  else frame.items.push(t);
  p.wantValue = false;
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t' };

/** Nix escapes `"` `\\` and newline, CR, tab; any other `\\c` reads as c (as Nix's own parser does). */
function str(p: Parser): string {
  const { text } = p;
  let i = p.pos + 1;
  let out = '';
  for (;;) {
    if (p.quote < i) p.quote = text.indexOf('"', i);
    if (p.backslash < i && p.backslash !== Infinity) p.backslash = text.indexOf('\\', i);
    if (p.backslash < 0) p.backslash = Infinity; // none left in the whole text: never search again
    if (p.quote < 0) fail(p, 'unterminated string');
    const b = p.backslash;
    if (p.quote < b) {
      out += text.slice(i, p.quote);
      p.pos = p.quote + 1;
      return out;
    }
    const e = text[b + 1];
    if (e === undefined) fail(p, 'unterminated escape', b);
    out += text.slice(i, b) + (ESCAPES[e] ?? e);
    i = b + 2;
  }
}
