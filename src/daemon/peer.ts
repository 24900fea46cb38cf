// Who is on the other end of a unix socket: SO_PEERCRED through the addon (Node has no API for it), plus /proc.
// Everything shown of a peer is read here from the kernel and /proc (owner.ts), and made terminal-safe.
import type { Socket } from 'node:net';
import { loadNative } from '../addon/native.js';
import type { SourceInfo, SourceVia } from '../state/events.js';
import { sanitize } from '../state/text.js';
import { readCommand } from '../ingest/proc-read.js';
import { processStartedAt } from '../ingest/proc-time.js';
import { isDaemonWorker, readFacts, workerClient } from './owner.js';

export type PeerCred = { readonly pid: number; readonly uid: number; readonly gid: number };

/** The kernel's word on the peer of a connected unix socket; null if it cannot be had. */
export function peerCred(socket: Socket): PeerCred | null {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    return loadNative().peerCred(fd);
  } catch {
    return null;
  }
}

/** A process's command as its peer is shown: control characters as spaces (a process chooses its own argv). */
const shownCommand = (pid: number): string => sanitize(readCommand(pid));

/** A feed (`nix-btm run`/`feed`): the peer's credentials, and the command it named (its own words, made safe). */
export function sourceInfo(via: SourceVia, cred: PeerCred | null, userName: (uid: number) => string | null, command?: string): SourceInfo {
  const cmd = command !== undefined ? sanitize(command) : cred ? shownCommand(cred.pid) : '';
  return { via, pid: cred?.pid ?? null, uid: cred?.uid ?? null, user: cred ? userName(cred.uid) : null, command: cmd };
}

/**
 * A json-log-path connection. A nix-daemon worker always connects as root whoever its client is: the source is then
 * attributed to the worker's client (owner.ts), and the worker's own credentials are kept in `peer`. A worker is told
 * by its executable, uid and parent, never by its name: any process may call itself nix-daemon.
 */
export function socketSourceInfo(cred: PeerCred | null, userName: (uid: number) => string | null, command?: string,
  peerStartedAt: number | null = null): SourceInfo {
  // The intake thread read the command line and the start time at accept: a short-lived peer may be gone by now.
  const plain = withStart(sourceInfo('socket', cred, userName, command || undefined), peerStartedAt);
  if (cred === null || cred.uid !== 0) return plain;
  const facts = readFacts(cred.pid);
  if (facts === null || !isDaemonWorker(facts)) return plain;
  const peer = { pid: cred.pid, uid: cred.uid };
  const client = workerClient(cred.pid);
  if (client === null) return { ...plain, daemonWorker: true, peer };
  return withStart({ via: 'socket', pid: client.pid, uid: client.uid, user: userName(client.uid), command: shownCommand(client.pid),
    daemonWorker: true, peer, attributedBy: client.by }, processStartedAt(client.pid));
}

/** The info with the start time of the process its pid names, when known (SourceInfo.pidStartedAt). */
export function withStart(info: SourceInfo, startedAt: number | null): SourceInfo {
  const { pidStartedAt: _, ...rest } = info;
  return startedAt === null || info.pid === null ? rest : { ...rest, pidStartedAt: startedAt };
}
