// Why the UI or `status` cannot reach the daemon, in words a user can act on: above all "permission denied", which
// means the control socket is there but this user is not in its group (README, troubleshooting).
import { statSync } from 'node:fs';
import { groupName } from './group-name.js';

export function connectionProblem(err: NodeJS.ErrnoException, controlPath: string): string {
  if (err.code === 'EACCES' || err.code === 'EPERM') {
    let group = 'the group the daemon was started with (--group)';
    try { group = `'${groupName(statSync(controlPath).gid) ?? statSync(controlPath).gid}'`; } catch { /* keep the generic words */ }
    return `permission denied: ask to be added to group ${group} (${controlPath})`;
  }
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') return `no daemon answers on ${controlPath} (${err.code})`;
  return `no daemon (${err.message})`;
}
