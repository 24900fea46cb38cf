// Socket activation as systemd does it (sd_listen_fds(3)): LISTEN_PID names us, LISTEN_FDS counts the inherited
// sockets from fd 3 on, LISTEN_FDNAMES names them (FileDescriptorName= in the socket unit), ':'-separated.

export const SD_LISTEN_FDS_START = 3;

/** The inherited fd for `name` (or the only one, unnamed); null when not socket-activated. Throws on a bad set-up. */
export function inheritedSocket(name: string, env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | null {
  if (env.LISTEN_FDS === undefined || env.LISTEN_PID === undefined) return null;
  // Meant for another process (a parent that did not clear them): not ours to take.
  if (Number(env.LISTEN_PID) !== pid) return null;
  const count = Number(env.LISTEN_FDS);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new Error(`LISTEN_FDS=${env.LISTEN_FDS} is not a count of sockets`);
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  const at = names.indexOf(name);
  if (at >= 0 && at < count) return SD_LISTEN_FDS_START + at;
  if (count === 1 && (env.LISTEN_FDNAMES === undefined || names[0] === '' || names[0] === 'unknown')) return SD_LISTEN_FDS_START;
  throw new Error(`socket activation: no socket named "${name}" among LISTEN_FDNAMES=${env.LISTEN_FDNAMES ?? ''} (${count} fds)`);
}

/** Children must not think the sockets are theirs. */
export function forgetActivation(env: NodeJS.ProcessEnv = process.env): void {
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
}
