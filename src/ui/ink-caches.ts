// Ink lays out every frame afresh: its Output (ink/build/output.js) turns each line drawn into styled characters
// (tokenize + styledCharsFromTokens, an object per character) and measures them with string-width, through caches
// that a new Output per frame starts empty. At 120x40 that was about half of a frame's CPU in the Process view
// (profile: tokenize, styledCharsFromTokens), for lines that had mostly not changed since the frame before. This keeps
// those two caches between frames, bounded (two generations of lines). The styled characters are only read by Output
// (copied into its grid, joined into strings), so sharing them between frames changes nothing drawn; the strings are
// keys, so a changed line is a new entry. A line not seen before is tokenized by styled-chars.ts (ASCII without the
// grapheme segmenter, the same result). Ink is not meant to be reached into: where its Output does not look as
// expected (another Ink version), nothing is changed and `inkCachesKept` says so (tests/ui/ink-caches.test.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { styledChars, type Tokenizer } from './styled-chars.js';

type Caches = { getStyledChars: (line: string) => unknown; getStringWidth: (text: string) => number };

/** A map of two generations: at `max` entries the older is dropped, so what the last frames drew stays cached. */
export function generations<V>(max: number): { get: (k: string) => V | undefined; set: (k: string, v: V) => void; size: () => number } {
  let young = new Map<string, V>();
  let old = new Map<string, V>();
  const set = (k: string, v: V): void => {
    if (young.size >= max) { old = young; young = new Map(); }
    young.set(k, v);
  };
  return {
    get: (k) => {
      const hit = young.get(k);
      if (hit !== undefined || old.size === 0) return hit;
      const back = old.get(k);
      if (back !== undefined) set(k, back);
      return back;
    },
    set,
    size: () => young.size + old.size,
  };
}

/** Wraps `name` on Ink's per-frame caches' prototype with a cache kept across frames; `make` works out a miss. */
function keep<V>(proto: Record<string | symbol, unknown>, name: keyof Caches, max: number, make?: (key: string) => V): void {
  const own = proto[name] as (this: unknown, key: string) => V;
  const kept = generations<V>(max);
  proto[name] = function (this: unknown, key: string): V {
    let v = kept.get(key);
    if (v === undefined) { v = make ? make(key) : own.call(this, key); kept.set(key, v); }
    return v;
  };
}

/** The tokenizer Ink's Output uses (its own copy, found from Ink's folder), or null. */
async function inkTokenizer(inkEntry: string): Promise<Tokenizer | null> {
  try {
    const pkg = createRequire(inkEntry).resolve('@alcalzone/ansi-tokenize/package.json');
    const meta = JSON.parse(readFileSync(pkg, 'utf8')) as { exports?: { '.'?: { import?: string } } };
    const main = meta.exports?.['.']?.import;
    if (!main) return null;
    const tk = (await import(pathToFileURL(join(dirname(pkg), main)).href)) as Partial<Tokenizer>;
    return typeof tk.tokenize === 'function' && typeof tk.styledCharsFromTokens === 'function' && typeof tk.reduceAnsiCodesIncremental === 'function'
      ? tk as Tokenizer : null;
  } catch {
    return null;
  }
}

/** Ink's tokenizer once installed (tests compare styled-chars.ts with it); null before or without it. */
export let inkTokenizerUsed: Tokenizer | null = null;

const KEPT = Symbol.for('nix-btm.ink-caches-kept');

async function install(): Promise<boolean> {
  try {
    const entry = createRequire(import.meta.url).resolve('ink');
    const mod = (await import(pathToFileURL(join(dirname(entry), 'output.js')).href)) as { default?: new (o: { width: number; height: number }) => { caches?: Caches } };
    const caches = mod.default ? new mod.default({ width: 0, height: 0 }).caches : undefined;
    const proto = caches ? (Object.getPrototypeOf(caches) as Record<string | symbol, unknown>) : null;
    if (!proto || typeof proto.getStyledChars !== 'function' || typeof proto.getStringWidth !== 'function') return false;
    // Once per process, even where this module is evaluated again (vitest re-runs it per test file over one Ink).
    if (proto[KEPT] === true) return true;
    proto[KEPT] = true;
    // A screen is at most 70 lines (250x70) of a few Text nodes each: 256 lines per generation hold the last frames;
    // a styled character is ~60 bytes, so at most ~8 MB at 250 columns (~4 MB at 120).
    const tk = await inkTokenizer(entry);
    inkTokenizerUsed = tk;
    keep(proto, 'getStyledChars', 256, tk ? (line) => styledChars(line, tk) : undefined);
    keep(proto, 'getStringWidth', 8192);
    return true;
  } catch {
    return false;
  }
}

/** Whether Ink's caches are kept between frames (false: this Ink's Output is not the one this was written for). */
export const inkCachesKept: boolean = await install();
