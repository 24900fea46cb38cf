// Signal requests from control-socket peers: who may signal what, and never the wrong process.
import { readFileSync } from 'node:fs';
import type { State } from '../state/model.js';
import type { SignalName, SignalRequest } from './protocol.js';
import type { PeerCred } from './peer.js';

/** What a request is about: the signal itself does not change who may send it. */
export type Subject = Pick<SignalRequest, 'target' | 'pid' | 'startedAt'>;

export type Verdict = { readonly ok: true; readonly pid: number; readonly group: boolean } | { readonly ok: false; readonly reason: string };

/** Start time of a live process in ms since the epoch (the pid-reuse guard), or null if it is gone. */
export type StartTimeOf = (pid: number) => number | null;

/**
 * Root may signal any Nix process; a user only processes of builds that user's own clients asked for, and that
 * user's own processes. Never pid 1, never the daemon itself, never a pid whose start time changed.
 */
export function authorize(req: Subject, peer: PeerCred | null, state: State, startTimeOf: StartTimeOf, selfPid: number): Verdict {
  if (!peer) return { ok: false, reason: 'cannot tell who is asking (no peer credentials)' };
  if (!Number.isInteger(req.pid) || req.pid <= 1) return { ok: false, reason: `refusing to signal pid ${req.pid}` };
  if (req.pid === selfPid) return { ok: false, reason: 'refusing to signal the nix-btm daemon itself' };
  const proc = state.processes.find((p) => p.pid === req.pid);
  const job = req.target === 'job' ? [...state.jobs.values()].find((j) => j.info.pid === req.pid) : undefined;
  if (!proc && !job) return { ok: false, reason: `pid ${req.pid} is not a Nix process nix-btm knows` };
  const started = startTimeOf(req.pid);
  if (started === null) return { ok: false, reason: `pid ${req.pid} has exited` };
  // Start times agree to the clock tick; a different process reusing the pid started later.
  if (Math.abs(started - req.startedAt) > 1000) return { ok: false, reason: `pid ${req.pid} is now a different process (start time changed)` };
  if (peer.uid !== 0 && !mayUserSignal(peer.uid, req, state)) {
    return { ok: false, reason: `uid ${peer.uid} may only signal builds its own clients started` };
  }
  if (req.target === 'build') {
    const pgid = proc?.pgid ?? 0;
    if (pgid <= 1 || proc?.role !== 'builder') return { ok: false, reason: `pid ${req.pid} is not a builder leading its process group` };
    return { ok: true, pid: pgid, group: true };
  }
  return { ok: true, pid: req.pid, group: false };
}

function mayUserSignal(uid: number, req: Subject, state: State): boolean {
  const proc = state.processes.find((p) => p.pid === req.pid);
  if (proc?.uid === uid) return true;
  const drvPath = proc?.drvPath;
  if (!drvPath) return [...state.jobs.values()].some((j) => j.info.pid === req.pid && j.info.uid === uid);
  const drv = state.derivations.get(drvPath);
  return (drv?.jobs ?? []).some((source) => state.jobs.get(source)?.info.uid === uid);
}

export function deliver(verdict: Extract<Verdict, { ok: true }>, signal: SignalName): { ok: true } | { ok: false; reason: string } {
  try {
    process.kill(verdict.group ? -verdict.pid : verdict.pid, `SIG${signal}`);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `kill failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
}

let bootMs: number | null = null;

/** /proc/PID/stat field 22 (start time in clock ticks since boot, CLK_TCK = 100 on Linux) + boot time. */
export function procStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    bootMs ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? 0) * 1000;
    return bootMs + ticks * 10;
  } catch {
    return null;
  }
}
