// Machine-wide figures for the header: per-core CPU from /proc/stat deltas, memory, load, hostname, Nix version.
import { spawnSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import type { HostInfo } from '../state/events.js';
import { parseLoadavg, parseMeminfo, parseSystemStat, type CpuTimes } from './proc-parse.js';
import { readProcText } from './proc-read.js';

/** `getconf NAME` once; the fallback is Linux's usual value (USER_HZ 100, 4 KiB pages) when getconf is missing. */
export function systemConstant(name: 'CLK_TCK' | 'PAGESIZE', fallback: number): number {
  try {
    const r = spawnSync('getconf', [name], { encoding: 'utf8', timeout: 2000 });
    const v = Number(r.stdout?.trim());
    return r.status === 0 && Number.isInteger(v) && v > 0 ? v : fallback;
  } catch {
    return fallback;
  }
}

/** `nix --version` ("nix (Nix) 2.8.0") -> "2.8.0"; null when Nix is absent or answers oddly. */
export function readNixVersion(command = 'nix'): string | null {
  try {
    const r = spawnSync(command, ['--version'], { encoding: 'utf8', timeout: 5000 });
    if (r.status !== 0 || typeof r.stdout !== 'string') return null;
    const line = r.stdout.trim().split('\n')[0] ?? '';
    return /(\d+\.\d+[^\s]*)\s*$/.exec(line)?.[1] ?? (line || null);
  } catch {
    return null;
  }
}

export type HostSample = {
  readonly host: HostInfo;
  /** Boot time (btime), ms since the epoch: process start times count from it. */
  readonly bootTimeMs: number;
};

export type HostSampler = { sample(): HostSample };

/**
 * Keeps the previous /proc/stat sample: CPU% is busy share since then; the first sample is the average since boot.
 */
export function createHostSampler(opts: { readonly hostname?: string; readonly nixVersion: string | null; readonly storeDir?: string }): HostSampler {
  let prev: readonly CpuTimes[] = [];
  return {
    sample(): HostSample {
      // The intr line before btime grows with the interrupt count: allow far more than a page.
      const stat = parseSystemStat(readProcText('/proc/stat', 1 << 20) ?? '');
      const cpuPercent = stat.cores.map((c, i) => {
        const p = prev[i] ?? { busy: 0, total: 0 };
        const total = c.total - p.total;
        return total > 0 ? clamp((100 * (c.busy - p.busy)) / total) : 0;
      });
      prev = stat.cores;
      const mem = parseMeminfo(readProcText('/proc/meminfo') ?? '');
      const host: HostInfo = {
        hostname: opts.hostname ?? osHostname(),
        nixVersion: opts.nixVersion,
        cpuPercent,
        memTotalBytes: mem.totalBytes,
        memUsedBytes: mem.usedBytes,
        load: parseLoadavg(readProcText('/proc/loadavg') ?? ''),
        diskFreeBytes: diskFree(opts.storeDir ?? '/nix/store'),
      };
      return { host, bootTimeMs: stat.bootTime * 1000 };
    },
  };
}

/** Free bytes for an unprivileged user on the file system holding `dir` (the header's per-host disk figure). */
function diskFree(dir: string): number | null {
  try {
    const st = statfsSync(dir);
    return st.bavail * st.bsize;
  } catch {
    return null;
  }
}

const clamp = (v: number): number => Math.min(100, Math.max(0, v));
