// The ATerm subset Nix writes .drv files in: strings, [lists], (tuples) and Name(args). Total: bad text -> a reason.

export type ATerm =
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'list'; readonly items: readonly ATerm[] }
  | { readonly kind: 'tuple'; readonly items: readonly ATerm[] }
  | { readonly kind: 'app'; readonly name: string; readonly args: readonly ATerm[] };

export type ATermParse = { readonly ok: true; readonly term: ATerm } | { readonly ok: false; readonly reason: string };

/** Deep enough for any real .drv (they nest 4 levels); bounds the stack on hostile input. */
const MAX_DEPTH = 64;

type Parser = { readonly text: string; pos: number };

/** Internal signal, caught in parseATerm: never escapes this module. */
class Bad {
  constructor(readonly reason: string) {}
}

export function parseATerm(text: string): ATermParse {
  const p: Parser = { text, pos: 0 };
  try {
    const term = value(p, 0);
    if (p.pos !== text.length && text.slice(p.pos).trim() !== '') fail(p, 'trailing text');
    return { ok: true, term };
  } catch (err) {
    if (err instanceof Bad) return { ok: false, reason: err.reason };
    throw err;
  }
}

function fail(p: Parser, what: string): never {
  throw new Bad(`${what} at offset ${p.pos}`);
}

function value(p: Parser, depth: number): ATerm {
  if (depth > MAX_DEPTH) fail(p, `nested deeper than ${MAX_DEPTH}`);
  const c = p.text[p.pos];
  if (c === '"') return { kind: 'str', value: str(p) };
  if (c === '[') return { kind: 'list', items: seq(p, '[', ']', depth) };
  if (c === '(') return { kind: 'tuple', items: seq(p, '(', ')', depth) };
  const m = /^[A-Za-z][A-Za-z0-9_]*/.exec(p.text.slice(p.pos, p.pos + 64));
  if (m === null) fail(p, c === undefined ? 'unexpected end of text' : `unexpected ${JSON.stringify(c)}`);
  p.pos += m[0].length;
  if (p.text[p.pos] !== '(') fail(p, `expected "(" after ${m[0]}`);
  return { kind: 'app', name: m[0], args: seq(p, '(', ')', depth) };
}

function seq(p: Parser, open: string, close: string, depth: number): ATerm[] {
  p.pos++; // the opening bracket, checked by the caller
  const items: ATerm[] = [];
  if (p.text[p.pos] === close) {
    p.pos++;
    return items;
  }
  for (;;) {
    items.push(value(p, depth + 1));
    const c = p.text[p.pos];
    p.pos++;
    if (c === close) return items;
    if (c !== ',') fail({ ...p, pos: p.pos - 1 }, `expected "," or "${close}" in ${open}${close}`);
  }
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t' };

/** Nix escapes `"` `\\` and newline, CR, tab; any other `\\c` reads as c (as Nix's own parser does). */
function str(p: Parser): string {
  const { text } = p;
  let i = p.pos + 1;
  let out = '';
  // Both searches are only redone once passed, so a run of escapes stays linear.
  let q = text.indexOf('"', i);
  let b = text.indexOf('\\', i);
  for (;;) {
    if (q >= 0 && q < i) q = text.indexOf('"', i);
    if (b >= 0 && b < i) b = text.indexOf('\\', i);
    if (q < 0) fail(p, 'unterminated string');
    if (b < 0 || q < b) {
      out += text.slice(i, q);
      p.pos = q + 1;
      return out;
    }
    const e = text[b + 1];
    if (e === undefined) fail({ ...p, pos: b }, 'unterminated escape');
    out += text.slice(i, b) + (ESCAPES[e] ?? e);
    i = b + 2;
  }
}
