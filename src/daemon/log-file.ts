// daemon.log: bounded (size cap, then one rotated file, daemon.log.1), free of terminal control characters (an
// admin may `cat` it), and with what peers can cause rate-limited per uid, so no user can fill the disk with it.
import { appendFileSync, renameSync, statSync } from 'node:fs';

export type LogFileOptions = {
  readonly maxBytes?: number;
  readonly toStderr?: boolean;
  readonly clock?: () => number;
};

export const DEFAULT_LOG_BYTES = 4 << 20;
const MAX_LINE_CHARS = 2000;

// C0 controls but tab, DEL, and C1 controls (ESC sequences, \b, \r would let a peer rewrite what an admin reads).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

export function printable(text: string): string {
  const clean = text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > MAX_LINE_CHARS ? `${clean.slice(0, MAX_LINE_CHARS)}… (${clean.length} chars)` : clean;
}

/** A line writer to `file`, rotated to `file.1` when it would pass maxBytes. Never throws (a full disk included). */
export function logFile(file: string, opts: LogFileOptions = {}): (line: string) => void {
  const maxBytes = opts.maxBytes ?? DEFAULT_LOG_BYTES;
  const clock = opts.clock ?? Date.now;
  let size = 0;
  try { size = statSync(file).size; } catch { /* not there yet */ }
  return (line) => {
    const text = `${new Date(clock()).toISOString()} ${printable(line)}\n`;
    const bytes = Buffer.byteLength(text);
    try {
      if (size + bytes > maxBytes && size > 0) {
        renameSync(file, `${file}.1`);
        size = 0;
      }
      appendFileSync(file, text, { mode: 0o640 });
      size += bytes;
    } catch { /* a full disk must not stop the daemon */ }
    if (opts.toStderr) process.stderr.write(text);
  };
}

export type RateOptions = { readonly burst: number; readonly perSecond: number; readonly clock?: () => number };

/**
 * Per-key token buckets: each key may log `burst` lines at once and `perSecond` after; what is held back is
 * counted and said in one line when that key may log again.
 */
export function rateLimited(log: (line: string) => void, opts: RateOptions): (key: string, line: string) => void {
  const clock = opts.clock ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number; suppressed: number }>();
  return (key, line) => {
    const now = clock();
    let b = buckets.get(key);
    if (!b) {
      if (buckets.size > 10_000) buckets.clear(); // keys are uids: bounded in practice, bounded here for sure
      b = { tokens: opts.burst, at: now, suppressed: 0 };
      buckets.set(key, b);
    }
    b.tokens = Math.min(opts.burst, b.tokens + ((now - b.at) / 1000) * opts.perSecond);
    b.at = now;
    if (b.tokens < 1) { b.suppressed++; return; }
    b.tokens--;
    if (b.suppressed > 0) {
      log(`(${b.suppressed} more lines for ${key} were not logged: rate limit ${opts.perSecond}/s)`);
      b.suppressed = 0;
    }
    log(line);
  };
}
