// A gid's name from /etc/group (no libc binding in Node); null when it has none.
import { readFileSync } from 'node:fs';

export function groupName(gid: number, file = '/etc/group'): string | null {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && Number(id) === gid) return name;
    }
  } catch { /* no group database */ }
  return null;
}
