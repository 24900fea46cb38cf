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
