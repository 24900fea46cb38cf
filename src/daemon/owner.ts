// Who is really behind a process or a log connection, from facts no peer can forge: uids and parents in /proc, the
// executable the kernel ran (/proc/PID/exe, never comm or argv[0], which any process may set), and the kernel's
// SO_PEERCRED of a nix-daemon worker's client connection. The one place that answers "whose is this", for
// authorization (signals, builder environments) and for attribution (whose build a worker's stream carries).
import { closeSync } from 'node:fs';
import { parseCmdline, parseStat, parseStatusUids } from '../ingest/proc-parse.js';
import { fdLinks, readExe, readProcText } from '../ingest/proc-read.js';
import { loadNative } from '../addon/native.js';

/** What /proc says about one live process. */
export type ProcFacts = {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  /** Real and effective uid (status): a process is someone's only when both are theirs. */
  readonly ruid: number;
  readonly euid: number;
  readonly startTicks: number;
  /** The file the kernel executed; null when it cannot be read (not root, kernel thread, gone). */
  readonly exe: string | null;
  /** NUL-separated argv exactly as in /proc/PID/cmdline (Nix rewrites a worker's argv[1] in place). */
  readonly cmdline: string;
};

export function readFacts(pid: number): ProcFacts | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const statText = readProcText(`/proc/${pid}/stat`, 4096);
  const stat = statText === null ? null : parseStat(statText);
  const uids = parseStatusUids(readProcText(`/proc/${pid}/status`, 8192) ?? '');
  if (stat === null || uids === null) return null;
  const exe = readExe(pid);
  return { pid, ppid: stat.ppid, pgid: stat.pgid, ruid: uids.real, euid: uids.effective, startTicks: stat.startTicks, exe,
    cmdline: readProcText(`/proc/${pid}/cmdline`, 4096) ?? '' };
}

const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** The Nix multi-call binary (`nix`; `nix-daemon` on installs that ship it apart), even if upgraded under it. */
export function isNixExecutable(exe: string | null): boolean {
  if (exe === null) return false;
  const name = baseName(exe.replace(/ \(deleted\)$/, ''));
  return name === 'nix' || name === 'nix-daemon';
}

const isRoot = (f: ProcFacts): boolean => f.ruid === 0 && f.euid === 0;

/** Root running Nix's binary as `nix-daemon` or `nix daemon`: no unprivileged user can make such a process. */
export function isNixDaemonProcess(f: ProcFacts): boolean {
  if (!isRoot(f) || !isNixExecutable(f.exe)) return false;
  const argv = parseCmdline(f.cmdline);
  const name = baseName(argv[0] ?? '');
  return name === 'nix-daemon' || (name === 'nix' && argv[1] === 'daemon');
}

/** A nix-daemon's per-connection child: a daemon process whose parent is a daemon process too. */
export function isDaemonWorker(f: ProcFacts, parent: ProcFacts | null = readFacts(f.ppid)): boolean {
  return isNixDaemonProcess(f) && parent !== null && isNixDaemonProcess(parent);
}

export type WorkerClient = {
  readonly pid: number;
  readonly uid: number;
  /** client-socket: the kernel's credentials of the worker's connection; worker-argv: the pid Nix wrote into argv[1]. */
  readonly by: 'client-socket' | 'worker-argv';
};

/**
 * The client a daemon worker serves. First the kernel's word: the worker's accepted connection (a socket with a bound
 * name that is not listening) and its SO_PEERCRED, read through pidfd_getfd (root only). Else the pid Nix's daemon
 * writes over argv[1] when it was started with an argument (`nix-daemon --daemon`, as NixOS does), trusted only when
 * the digits are shorter than the argument they replaced (then NUL padding follows them; a longer pid is cut short).
 */
export function workerClient(workerPid: number, selfPid = process.pid): WorkerClient | null {
  return clientBySocket(workerPid, selfPid) ?? clientByArgv(workerPid);
}

function clientBySocket(workerPid: number, selfPid: number): WorkerClient | null {
  let native;
  let pidfd = -1;
  try {
    native = loadNative();
    pidfd = native.pidfdOpen(workerPid);
    const peers = new Map<number, number>();
    for (const { fd, link } of fdLinks(workerPid)) {
      if (!link.startsWith('socket:')) continue;
      try {
        const s = native.socketPeer(pidfd, fd);
        if (!s.listening && s.path !== '' && s.pid > 0 && s.pid !== selfPid && s.pid !== workerPid) peers.set(s.pid, s.uid);
      } catch { /* closed meanwhile, or not a unix socket */ }
    }
    // One connection, one client: anything else is not a worker as we know it.
    if (peers.size !== 1) return null;
    const [[pid, uid]] = [...peers] as [[number, number]];
    return { pid, uid, by: 'client-socket' };
  } catch {
    return null;
  } finally {
    if (pidfd >= 0) closeSync(pidfd);
  }
}

/** The argv[1] way alone (exported for tests: the socket way is tried first). */
export function clientByArgv(workerPid: number): WorkerClient | null {
  const f = readFacts(workerPid);
  const m = f === null ? null : /^[^\0]*\0([1-9][0-9]*)\0\0/.exec(f.cmdline);
  const client = m?.[1] === undefined ? null : readFacts(Number(m[1]));
  return client === null ? null : { pid: client.pid, uid: client.ruid, by: 'worker-argv' };
}

export type Owner = {
  /** The user behind the process. */
  readonly uid: number;
  /** own: the process runs as that user; worker-client: a build process of a daemon worker serving that user. */
  readonly why: 'own' | 'worker-client' | 'build-user';
  /** The Nix client the build works for, where that is how the owner was found. */
  readonly clientPid: number | null;
};

/**
 * Who a process belongs to. A worker forks nothing but builds, and no other process can become a child of one, so a
 * non-root process whose first root ancestor is a nix-daemon worker is a build process of that worker's client (this
 * holds whatever the build users are: nixbld, another install's group, auto-allocated uids). Other build-user
 * processes (a single-user root build) are root's; everything else is its own uid's. Null when the process is gone or
 * its real and effective uids differ (setuid).
 */
export function ownerOf(pid: number, isBuildUid: (uid: number) => boolean): Owner | null {
  const self = readFacts(pid);
  if (self === null || self.ruid !== self.euid) return null;
  if (isRoot(self)) return { uid: 0, why: 'own', clientPid: null };
  let cur: ProcFacts | null = self;
  for (let steps = 0; cur !== null && !isRoot(cur); steps++) {
    if (steps > 64 || cur.ppid <= 0) { cur = null; break; }
    cur = readFacts(cur.ppid);
  }
  if (cur !== null && isDaemonWorker(cur)) {
    const client = workerClient(cur.pid);
    return client === null ? null : { uid: client.uid, why: 'worker-client', clientPid: client.pid };
  }
  return isBuildUid(self.ruid) ? { uid: 0, why: 'build-user', clientPid: null } : { uid: self.ruid, why: 'own', clientPid: null };
}

/** Whether `pid` is `ancestor` or one of its descendants, from /proc parents (never from what a peer says). */
export function isSelfOrDescendant(pid: number, ancestor: number): boolean {
  let cur: number = pid;
  for (let steps = 0; steps < 256 && cur > 0; steps++) {
    if (cur === ancestor) return true;
    const f = readFacts(cur);
    if (f === null || f.ppid === cur) return false;
    cur = f.ppid;
  }
  return false;
}
