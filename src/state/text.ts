// Pure text helpers for Nix's messages and store paths.

// CSI sequences (colours, cursor) and OSC sequences (hyperlinks), as Nix and builders write them.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function stripAnsi(s: string): string {
  return s.includes('\u001b') ? s.replace(ANSI, '') : s;
}

/** `/nix/store/<32-char hash>-<name>[.drv]` -> `<name>` (without .drv); anything else is returned as is. */
export function storePathName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const name = base.length > 33 && base[32] === '-' ? base.slice(33) : base;
  return name.endsWith('.drv') ? name.slice(0, -4) : name;
}

export function truncate(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) + '…' : s;
}

// Store paths in messages are quoted: '/nix/store/...'.
const STORE_PATH = /\/nix\/store\/[0-9a-z]{32}-[^'"\s`]+/;

/** The first store path a message names, or null. */
export function firstStorePath(s: string): string | null {
  return STORE_PATH.exec(s)?.[0] ?? null;
}

// C0 and C1 controls, DEL, line/paragraph separators and bidi overrides: each can move the cursor, erase, or reorder
// what a terminal shows (a `\b` in a peer's command line once drew a forged row).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * Text from a peer made safe for a terminal: escape sequences removed, every other control shown as a space.
 * `keepNewlines` leaves `\n` for text that is split into lines later (Nix messages).
 */
export function sanitize(s: string, keepNewlines = false): string {
  if (!HAS_CONTROL.test(s)) return s;
  const clean = stripAnsi(s);
  return keepNewlines ? clean.replace(CONTROL, (c) => (c === '\n' ? c : ' ')) : clean.replace(CONTROL, ' ');
}
