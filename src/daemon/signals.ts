// Signal and builder-environment requests from control-socket peers: who may touch which process, and never the
// wrong one. Authority comes from /proc and the kernel (owner.ts), the target is pinned by a pidfd, and the start
// time is compared with the daemon's own record from the same clock the scanner uses (proc-time.ts).
import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import { processStartedAt } from '../ingest/proc-time.js';
import type { State } from '../state/model.js';
import { isJobProcess } from '../state/selectors.js';
import { loadNative } from '../addon/native.js';
import { ownerOf, readFacts, type Owner } from './owner.js';
import type { SignalName, SignalTarget } from '../protocol/control.js';
import type { PeerCred } from './peer.js';

/** What a request is about, as a peer sent it (unchecked). */
export type AskedTarget = { readonly target: SignalTarget; readonly pid: unknown; readonly startedAt: unknown };

export type Verdict =
  | { readonly ok: true; readonly pid: number; readonly startedAt: number; readonly group: boolean }
  | { readonly ok: false; readonly reason: string };

/** The live facts a verdict rests on, read at request time (tests substitute them). */
export type Live = {
  /** Start time now, on the scanner's clock (ms since the epoch); null when the process is gone. */
  startedAt(pid: number): number | null;
  /** Who the process belongs to now (owner.ts). */
  owner(pid: number): Owner | null;
  pgid(pid: number): number | null;
};

export function liveFacts(isBuildUid: (uid: number) => boolean): Live {
  return {
    startedAt: (pid) => processStartedAt(pid),
    owner: (pid) => ownerOf(pid, isBuildUid),
    pgid: (pid) => readFacts(pid)?.pgid ?? null,
  };
}

const refuse = (reason: string): Verdict => ({ ok: false, reason });

/**
 * Root may signal any Nix process the daemon knows; any other user only that user's own processes and the build
 * processes working for that user's own Nix clients. Never pid 1, never the daemon itself, and only the process the
 * requester saw: its start time (required) must equal the daemon's record, and the live process must still be that one.
 */
export function authorize(req: AskedTarget, peer: PeerCred | null, state: State, live: Live, selfPid: number): Verdict {
  if (!peer) return refuse('cannot tell who is asking (no peer credentials)');
  const pid = req.pid;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1) return refuse(`refusing to signal pid ${String(pid)}`);
  if (pid === selfPid) return refuse('refusing to signal the nix-btm daemon itself');
  if (typeof req.startedAt !== 'number' || !Number.isFinite(req.startedAt)) {
    return refuse('a request must name the start time of the process (startedAt, ms since the epoch, as in the snapshot)');
  }
  const proc = state.processes.find((p) => p.pid === pid);
  if (!proc) return refuse(`pid ${pid} is not a Nix process nix-btm knows`);
  if (proc.startedAt !== req.startedAt) return refuse(`pid ${pid} is not the process you saw (its start time differs from the daemon's record)`);
  const now = live.startedAt(pid);
  if (now === null) return refuse(`pid ${pid} has exited`);
  if (now !== proc.startedAt) return refuse(`pid ${pid} is now a different process (start time changed)`);
  const group = req.target === 'build';
  if (group && (proc.role !== 'builder' || live.pgid(pid) !== pid)) return refuse(`pid ${pid} is not a builder leading its process group`);
  // A job's client is the process that held its pid when the job opened: one that took the pid over since (a pid
  // recycled on purpose) is someone else's, whatever row asked for it.
  if (req.target === 'job' && ![...state.jobs.values()].some((j) => isJobProcess(j, proc))) {
    return refuse(`pid ${pid} is not the process of any job (it started after the job that had this pid opened: the pid was reused)`);
  }
  if (peer.uid !== 0) {
    const owner = live.owner(pid);
    if (owner === null || owner.uid !== peer.uid) {
      return refuse(`uid ${peer.uid} may only signal its own processes and the builds of its own Nix clients`);
    }
  }
  return { ok: true, pid, startedAt: proc.startedAt, group };
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/**
 * Pins the target with a pidfd (where the kernel has them), authorizes, then checks the start time once more: the pidfd was opened before that
 * check, so if the process still has the recorded start time the pidfd names exactly the process that was authorized.
 */
export function withAuthorizedProcess<T>(req: AskedTarget, peer: PeerCred | null, state: State, live: Live, selfPid: number,
  act: (pidfd: number, verdict: Extract<Verdict, { ok: true }>) => T): Outcome<T> {
  const first = authorize(req, peer, state, live, selfPid);
  if (!first.ok) return first;
  let pidfd = -1;
  try {
    pidfd = loadNative().pidfdOpen(first.pid);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return { ok: false, reason: `pid ${first.pid} has exited` };
    // Kernels before 5.3 have no pidfds: then only the start-time re-check right before sending guards the pid.
    if (code !== 'ENOSYS') return { ok: false, reason: `pidfd_open failed: ${(err as Error).message}` };
  }
  try {
    const verdict = authorize(req, peer, state, live, selfPid);
    if (!verdict.ok) return verdict;
    if (live.startedAt(verdict.pid) !== verdict.startedAt) return { ok: false, reason: `pid ${verdict.pid} is now a different process (start time changed)` };
    return { ok: true, value: act(pidfd, verdict) };
  } catch (err) {
    return { ok: false, reason: `kill failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  } finally {
    if (pidfd >= 0) closeSync(pidfd);
  }
}

/** Sends through the pidfd; a whole build's group by its leader's pgid while the pidfd shows the leader alive. */
export function signalAuthorized(req: AskedTarget & { readonly signal: SignalName }, peer: PeerCred | null, state: State, live: Live,
  selfPid: number): Outcome<null> {
  const signo = constants.signals[`SIG${req.signal}`];
  return withAuthorizedProcess(req, peer, state, live, selfPid, (pidfd, verdict) => {
    const native = loadNative();
    if (!verdict.group) {
      if (pidfd >= 0) native.pidfdSendSignal(pidfd, signo);
      else process.kill(verdict.pid, signo);
      return null;
    }
    // A leader that is alive (or an unreaped zombie) keeps its pid, hence its group id, from being reused.
    if (pidfd >= 0) native.pidfdSendSignal(pidfd, 0);
    process.kill(-verdict.pid, signo);
    return null;
  });
}
