// What the /proc scan says about builds (issue 9): a builder tied to a derivation the log never named (a build not
// streamed to the daemon: a legacy client on the local store, another machine's log source) is a running build of an
// unknown job; a builder stopped by SIGSTOP (state T) freezes its build's clock until it runs again.
import type { At, ProcessInfo } from './events.js';
import type { Draft } from './derivations.js';
import { getOrCreateDerivation, setOutcome, updateDerivation } from './derivations.js';

export const NOT_STREAMED = 'not streamed to nix-btm: seen running in /proc';

const frozen = (p: ProcessInfo): boolean => p.state === 'T' || p.state === 't';

export function onBuilders(d: Draft, processes: readonly ProcessInfo[], at: At): void {
  const seen = new Set<string>();
  for (const p of processes) {
    if (p.role !== 'builder' || p.drvPath === null) continue;
    seen.add(p.drvPath);
    const drv = getOrCreateDerivation(d, p.drvPath);
    if (drv.status === 'planned' && drv.owners.length === 0 && drv.jobs.length === 0) {
      updateDerivation(d, p.drvPath, () => ({ status: 'running', startedAt: p.startedAt, reason: NOT_STREAMED, machine: '', frozenMs: 0 }));
    }
    const now = d.derivations.get(p.drvPath)!;
    if (now.status !== 'running') continue;
    if (frozen(p) && now.frozenAt === null) updateDerivation(d, p.drvPath, () => ({ frozenAt: at ?? d.now }));
    else if (!frozen(p) && now.frozenAt !== null) thaw(d, p.drvPath, at);
  }
  // Builds only /proc knew of end when their builder is gone: the daemon's store check then says how. Only the
  // previous scan's builders are looked at (never every derivation per scan).
  for (const old of d.processes) {
    if (old.role !== 'builder' || old.drvPath === null || seen.has(old.drvPath)) continue;
    const path = old.drvPath;
    const drv = d.derivations.get(path);
    if (!drv || drv.status !== 'running') continue;
    // Failed or killed: without a log nothing tells which (a failure is not claimed); the store then says whether
    // it built after all.
    if (drv.reason === NOT_STREAMED) setOutcome(d, path, 'interrupted', at, { reason: 'builder gone (not streamed): failed or killed, no log says which' });
    else if (drv.frozenAt !== null) thaw(d, path, at);
  }
}

/** The frozen time is not build time: counted apart (frozenMs), the start stays when it started. */
function thaw(d: Draft, drvPath: string, at: At): void {
  updateDerivation(d, drvPath, (old) => ({
    frozenAt: null,
    frozenMs: old.frozenMs + (old.frozenAt !== null && at !== null ? Math.max(0, at - old.frozenAt) : 0),
  }));
}
