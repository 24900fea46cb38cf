// Nix build cgroups (use-cgroups, Nix >= 2.13; cgroup v2 only): `nix-build-uid-<uid>` or `nix-build-pid-<pid>-<n>`,
// created beside the cgroup of the daemon (or single-user client) that runs the build. Reading those few directories
// finds every build process without opening /proc/PID/cgroup for each process on the machine.
import { existsSync, readdirSync } from 'node:fs';
import { readProcText } from './proc-read.js';

export const BUILD_CGROUP_PREFIX = 'nix-build-';

/** Where cgroup v2 is mounted: /sys/fs/cgroup on unified systems, /sys/fs/cgroup/unified on hybrid ones. */
export function findCgroup2Root(base = '/sys/fs/cgroup'): string | null {
  if (existsSync(`${base}/cgroup.controllers`)) return base;
  if (existsSync(`${base}/unified/cgroup.controllers`)) return `${base}/unified`;
  return null;
}

/** The v2 path from a /proc/PID/cgroup text (`0::/system.slice/nix-daemon.service`). */
export function parseCgroup2Path(text: string): string | null {
  for (const line of text.split('\n')) if (line.startsWith('0::')) return line.slice(3).trim() || '/';
  return null;
}

export function readCgroup2Path(pid: number): string | null {
  const text = readProcText(`/proc/${pid}/cgroup`, 8192);
  return text === null ? null : parseCgroup2Path(text);
}

/** Nix puts build cgroups beside its own cgroup's root: check that cgroup and its parent. */
export function buildCgroupParents(ownPath: string): string[] {
  const clean = ownPath.replace(/\/+$/, '');
  if (clean === '') return ['/'];
  const parent = clean.slice(0, clean.lastIndexOf('/')) || '/';
  return [clean, parent];
}

/** Members of every `nix-build-*` cgroup directly under the given cgroup directories (paths relative to root). */
export function buildCgroupPids(root: string, parents: Iterable<string>): Set<number> {
  const pids = new Set<number>();
  for (const rel of new Set(parents)) {
    const dir = rel === '/' ? root : `${root}${rel}`;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith(BUILD_CGROUP_PREFIX)) continue;
      addPids(readProcText(`${dir}/${name}/cgroup.procs`, 1 << 20), pids);
    }
  }
  return pids;
}

function addPids(text: string | null, into: Set<number>): void {
  if (text === null) return;
  for (const line of text.split('\n')) {
    const pid = Number(line);
    if (line !== '' && Number.isInteger(pid)) into.add(pid);
  }
}
