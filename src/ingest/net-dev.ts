// The network counters of the header's meters (src/ui/meters.ts): received and transmitted bytes since boot.
import { readProcText } from './proc-read.js';

/** /proc/net/dev -> summed received and transmitted bytes of every interface except lo. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (line.slice(0, colon).trim() === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/);
    const r = Number(f[0]);
    const t = Number(f[8]);
    if (Number.isFinite(r) && Number.isFinite(t)) { rx += r; tx += t; }
  }
  return { rx, tx };
}

/** Null when /proc/net/dev cannot be read (no procfs, a sandbox). */
export function readNetDev(path = '/proc/net/dev'): { rx: number; tx: number } | null {
  const text = readProcText(path);
  return text === null ? null : parseNetDev(text);
}
