// Why the UI or `status` cannot reach the daemon, in words a user can act on: above all "permission denied", which
// means the control socket is there but this user may not use it: not in its group, or the daemon was started
// without --group, so that its socket is its owner's alone (README, troubleshooting).
import { statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { groupName } from './group-name.js';

export function connectionProblem(err: NodeJS.ErrnoException, controlPath: string): string {
  if (err.code === 'EACCES' || err.code === 'EPERM') return permissionProblem(controlPath);
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') return `no daemon answers on ${controlPath} (${err.code})`;
  return `no daemon (${err.message})`;
}

function permissionProblem(controlPath: string): string {
  let st: Stats;
  try {
    st = statSync(controlPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EACCES') return `permission denied: ${dirname(controlPath)} is closed to you (${controlPath})`;
    return `permission denied: ask to be added to the group the daemon was started with (--group) (${controlPath})`;
  }
  // Connecting takes write permission on the socket: without group read and write, no group member gets in.
  if ((st.mode & 0o060) !== 0o060) {
    const owner = st.uid === 0 ? 'root' : `uid ${st.uid}`;
    return `permission denied: the daemon's control socket is ${owner}'s alone (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): ` +
      `its daemon was started without --group; ask whoever runs it to start it with --group GROUP and to add you to GROUP (${controlPath})`;
  }
  return `permission denied: ask to be added to group '${groupName(st.gid) ?? st.gid}' (${controlPath})`;
}
