// Who is on the other end of a unix socket: SO_PEERCRED through the addon (Node has no API for it), plus /proc.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { loadNative } from '../ring/native.js';
import type { SourceInfo, SourceVia } from '../state/events.js';

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

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s !== '').join(' ');
  } catch {
    return '';
  }
}

export function sourceInfo(via: SourceVia, cred: PeerCred | null, userName: (uid: number) => string | null, command?: string): SourceInfo {
  const cmd = command ?? (cred ? commandLine(cred.pid) : '');
  const info: SourceInfo = { via, pid: cred?.pid ?? null, uid: cred?.uid ?? null, user: cred ? userName(cred.uid) : null, command: cmd };
  return via === 'socket' && cred && comm(cred.pid) === 'nix-daemon' ? { ...info, daemonWorker: true } : info;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
