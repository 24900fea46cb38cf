// Raw /proc readers. A process can vanish at any moment (ENOENT, ESRCH) or hide its files (EACCES): that is a null, never a throw.
import { closeSync, fstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { parseCmdline, parseStat, parseStatusUid, type ProcStat } from './proc-parse.js';

// One buffer reused for every read: a scan reads thousands of small files and should allocate little.
let buffer = Buffer.allocUnsafe(64 * 1024);

/** Longest command line kept: builders' `sh -c` scripts can be huge, and every scan travels through the ring. */
export const MAX_CMDLINE_BYTES = 4096;

type Read = { readonly text: string; readonly owner: number };

/**
 * Reads a whole /proc file in as few syscalls as procfs allows (a short read means end of file there).
 * `owner` (the file's uid) is only fetched when asked, as it costs an fstat.
 */
function readWhole(path: string, maxBytes: number, wantOwner: boolean): Read | null {
  if (buffer.length < maxBytes) buffer = Buffer.allocUnsafe(maxBytes);
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    let n = 0;
    for (;;) {
      const want = maxBytes - n;
      const got = readSync(fd, buffer, n, want, null);
      n += got;
      if (got === 0 || got < want || n >= maxBytes) break;
    }
    const owner = wantOwner ? fstatSync(fd).uid : -1;
    return { text: buffer.toString('utf8', 0, n), owner };
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

export function readProcText(path: string, maxBytes = 64 * 1024): string | null {
  return readWhole(path, maxBytes, false)?.text ?? null;
}

/** Numeric entries of /proc: every process (threads live under /proc/PID/task and are not listed). */
export function listPids(procRoot = '/proc'): number[] {
  const pids: number[] = [];
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return pids;
  }
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) pids.push(Number(name));
  }
  return pids;
}

/**
 * /proc/PID/stat plus the file's owner. The owner is the process's effective uid whenever the process is dumpable;
 * a non-dumpable process (setuid without exec) shows as root, so an owner of 0 must be confirmed from status.
 */
export function readStat(pid: number): { stat: ProcStat; owner: number } | null {
  const read = readWhole(`/proc/${pid}/stat`, 4096, true);
  if (read === null) return null;
  const stat = parseStat(read.text);
  return stat === null ? null : { stat, owner: read.owner };
}

export function readUid(pid: number): number | null {
  const text = readProcText(`/proc/${pid}/status`, 8192);
  return text === null ? null : parseStatusUid(text);
}

export function readArgv(pid: number): string[] | null {
  const text = readProcText(`/proc/${pid}/cmdline`, MAX_CMDLINE_BYTES);
  return text === null ? null : parseCmdline(text);
}

/** argv joined by spaces, its first 4 KiB as the process set it (not yet made terminal-safe); '' when it is gone. */
export function readCommand(pid: number): string {
  return (readArgv(pid) ?? []).filter((a) => a !== '').join(' ');
}

/** /proc/PID/exe: the executable the kernel ran (never comm or argv[0]); null for a kernel thread, gone, or not ours. */
export function readExe(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

/**
 * A process's open file descriptors and what each names (`socket:[N]`, a path, `<path> (deleted)`), each read when
 * reached: a descriptor closed meanwhile is skipped; none when the process is gone or not ours to look at.
 */
export function* fdLinks(pid: number): Generator<{ readonly fd: number; readonly link: string }> {
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return;
  }
  for (const name of names) {
    let link: string;
    try { link = readlinkSync(`/proc/${pid}/fd/${name}`); } catch { continue; }
    yield { fd: Number(name), link };
  }
}

/** The soft RLIMIT_NOFILE of this process (/proc/self/limits); null when it cannot be read. */
export function readOpenFilesLimit(): number | null {
  const m = /^Max open files\s+(\d+)/m.exec(readProcText('/proc/self/limits', 8192) ?? '');
  return m ? Number(m[1]) : null;
}
