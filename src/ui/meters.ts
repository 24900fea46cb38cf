// Header meters the process scan does not give: free space where /nix/store lives (builds fail on a full disk),
// network receive/transmit (substitutes downloading) and load. Sampled on a slow timer, never on the frame path:
// one statfs(2) and one read of /proc/net/dev (by src/ingest/), a few microseconds (bench/ui/meters.md: against systeminformation).
import { statfsSync } from 'node:fs';
import { loadavg } from 'node:os';

export type HostMeters = {
  /** The filesystem holding the store: the path asked about, free (for unprivileged users) and total bytes. */
  readonly storePath: string;
  readonly diskFreeBytes: number | null;
  readonly diskTotalBytes: number | null;
  /** Bytes per second over the last interval, all interfaces but loopback; null on the first sample. */
  readonly rxBytesPerSec: number | null;
  readonly txBytesPerSec: number | null;
  readonly load: readonly [number, number, number];
};

/** Below this share free (or this many bytes), the disk meter turns red. */
export const DISK_WARN_SHARE = 0.1;
export const DISK_WARN_BYTES = 5 * 2 ** 30;

export const diskLow = (m: HostMeters): boolean =>
  m.diskFreeBytes !== null && m.diskTotalBytes !== null && m.diskTotalBytes > 0 &&
  (m.diskFreeBytes < DISK_WARN_BYTES || m.diskFreeBytes / m.diskTotalBytes < DISK_WARN_SHARE);

export function statfsBytes(path: string): { free: number; total: number } | null {
  try {
    const s = statfsSync(path);
    return { free: Number(s.bavail) * Number(s.bsize), total: Number(s.blocks) * Number(s.bsize) };
  } catch {
    return null;
  }
}

export type MeterSampler = { sample(now: number): HostMeters };

/** Bytes received and transmitted so far, all interfaces but loopback (src/ingest/net-dev.ts reads /proc). */
export type NetCounters = { readonly rx: number; readonly tx: number };

export function createMeterSampler(readNet: () => NetCounters | null, storePath = '/nix/store'): MeterSampler {
  let prev: { at: number; rx: number; tx: number } | null = null;
  return {
    sample(now) {
      const disk = statfsBytes(storePath) ?? statfsBytes('/');
      const net = readNet();
      const dt = prev && net ? (now - prev.at) / 1000 : 0;
      const rate = (a: number, b: number): number | null => (dt > 0 ? Math.max(0, (a - b) / dt) : null);
      const m: HostMeters = {
        storePath, diskFreeBytes: disk?.free ?? null, diskTotalBytes: disk?.total ?? null,
        rxBytesPerSec: net && prev ? rate(net.rx, prev.rx) : null, txBytesPerSec: net && prev ? rate(net.tx, prev.tx) : null,
        load: loadavg().map((l) => Math.round(l * 100) / 100) as [number, number, number],
      };
      if (net) prev = { at: now, ...net };
      return m;
    },
  };
}
