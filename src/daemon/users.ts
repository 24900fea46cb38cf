// uid -> user name and group name -> gid from /etc/passwd and /etc/group, re-read when they change.
import { readFileSync, statSync } from 'node:fs';

export type UserNames = { nameOf(uid: number): string | null; gidOf(group: string): number | undefined };

export function userNames(passwd = '/etc/passwd', group = '/etc/group'): UserNames {
  let mtime = -1;
  let names = new Map<number, string>();
  const load = (): void => {
    try {
      const m = statSync(passwd).mtimeMs;
      if (m === mtime) return;
      mtime = m;
      names = new Map(readFileSync(passwd, 'utf8').split('\n').map((l) => l.split(':')).filter((f) => f.length > 2)
        .map((f) => [Number(f[2]), f[0] ?? ''] as [number, string]));
    } catch {
      names = new Map();
    }
  };
  return {
    nameOf: (uid) => { load(); return names.get(uid) ?? null; },
    gidOf: (name) => {
      try {
        const line = readFileSync(group, 'utf8').split('\n').find((l) => l.split(':')[0] === name);
        const gid = line ? Number(line.split(':')[2]) : NaN;
        return Number.isInteger(gid) ? gid : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
