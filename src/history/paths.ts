// Where the history lives: /var/lib/nix-btm for the system daemon, $XDG_STATE_HOME/nix-btm for a user's own.
import { homedir } from 'node:os';
import { join } from 'node:path';

export const SYSTEM_HISTORY = '/var/lib/nix-btm/history.sqlite';

export function defaultHistoryPath(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (uid === 0) return SYSTEM_HISTORY;
  return join(env.XDG_STATE_HOME || join(env.HOME ?? homedir(), '.local', 'state'), 'nix-btm', 'history.sqlite');
}
