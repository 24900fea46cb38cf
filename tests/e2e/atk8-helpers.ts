// Real unprivileged peers for tests/e2e/atk8-*.test.ts: users btm-atk8-a (the attacker) and btm-atk8-b (an honest
// user), both in btm-atk8-g (a daemon's --group), created once and kept; tests/e2e/attacks/atk8.mjs run as them.
import { cleanAttacks, ensureGroupMembers, runScriptAs, uidOf, type Attack } from './attacker.js';

export const GROUP = 'btm-atk8-g';
export const ATTACKER = 'btm-atk8-a';
export const HONEST = 'btm-atk8-b';

export function ensureUsers(): void {
  ensureGroupMembers(GROUP, [ATTACKER, HONEST]);
}

export { uidOf };

/** A peer running tests/e2e/attacks/atk8.mjs. */
export type Peer = Attack;

/** tests/e2e/attacks/atk8.mjs with `plan`, as `user` (its own uid and groups, through setpriv). */
export function peerAs(user: string, plan: Record<string, unknown>): Peer {
  return runScriptAs(user, 'atk8.mjs', plan);
}

export { cleanAttacks as cleanPeers };
