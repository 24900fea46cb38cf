// A regular file at the json-log-path: with no socket there, every Nix process creates the file and appends its
// records to it. It holds the builds that ran while no daemon did. At start the daemon keeps the file's inode open,
// frees the path for its socket, and reads the file as one more source, bounded (only the last `maxBytes`), in
// chunks that never hold up the event loop; it keeps reading while Nix processes that opened it still write to it.
import { constants, fstatSync, lstatSync, openSync, rmSync } from 'node:fs';
import { read, close } from 'node:fs';
import { promisify } from 'node:util';
import { openLogSource } from '../ingest/log-source.js';
import { fdLinks, listPids } from '../ingest/proc-read.js';
import type { BtmEvent } from '../state/events.js';

const readAsync = promisify(read);
const closeAsync = promisify(close);

export type LeftFileInfo = {
  readonly path: string;
  /** The file's size when it was taken over. */
  readonly bytes: number;
  /** Bytes at its start not read (older than the last `maxBytes`). */
  readonly skippedBytes: number;
  readonly uid: number;
  readonly takenAt: number;
};

export type LeftFile = { readonly fd: number; readonly info: LeftFileInfo };

export const DEFAULT_LEFT_FILE_MAX_BYTES = 64 * 2 ** 20;

/** Takes over a regular file at `path` (keeps it open, removes the name); null when there is none. */
export function takeLeftFile(path: string, maxBytes = DEFAULT_LEFT_FILE_MAX_BYTES, now = Date.now()): LeftFile | null {
  try {
    if (!lstatSync(path).isFile()) return null;
  } catch {
    return null;
  }
  // O_NONBLOCK: a FIFO swapped in after the lstat must not hang the start; O_NOFOLLOW: nor a symlink.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  const st = fstatSync(fd);
  if (!st.isFile()) {
    close(fd, () => undefined);
    return null;
  }
  rmSync(path, { force: true });
  const skippedBytes = Math.max(0, st.size - maxBytes);
  return { fd, info: { path, bytes: st.size, skippedBytes, uid: st.uid, takenAt: now } };
}

export type ReadLeftOptions = {
  readonly source: string;
  readonly publish: (e: BtmEvent, line?: string) => void;
  readonly userName: (uid: number) => string | null;
  readonly log: (line: string) => void;
  readonly chunkBytes?: number;
  /** Whether a process other than us still has the file open (it may still write). Default: a /proc look-up. */
  readonly stillWritten?: () => boolean;
  readonly pollMs?: number;
};

export function leftFileCommand(info: LeftFileInfo): string {
  const skipped = info.skippedBytes > 0 ? `, the first ${info.skippedBytes} bytes skipped` : '';
  return `from the log file left at ${info.path} while no daemon ran (${info.bytes} bytes${skipped})`;
}

/** Reads the file to its end (and on while others write to it), as one source; resolves with the bytes read. */
export async function readLeftFile(left: LeftFile, opts: ReadLeftOptions): Promise<number> {
  const { info } = left;
  const chunkBytes = opts.chunkBytes ?? 256 * 1024;
  const stillWritten = opts.stillWritten ?? (() => openedElsewhere(info.path));
  const src = openLogSource({ source: opts.source, emit: opts.publish, clock: Date.now,
    info: { via: 'left-file', pid: null, uid: info.uid, user: opts.userName(info.uid), command: leftFileCommand(info) } });
  const buf = Buffer.alloc(chunkBytes);
  let pos = info.skippedBytes;
  // Started mid-file: the first partial line is not a record.
  let skipToNewline = info.skippedBytes > 0;
  try {
    for (;;) {
      const { bytesRead } = await readAsync(left.fd, buf, 0, chunkBytes, pos);
      if (bytesRead === 0) {
        if (!stillWritten()) break;
        await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 1000));
        continue;
      }
      pos += bytesRead;
      let chunk = buf.subarray(0, bytesRead);
      if (skipToNewline) {
        const nl = chunk.indexOf(0x0a);
        if (nl < 0) continue;
        chunk = chunk.subarray(nl + 1);
        skipToNewline = false;
      }
      src.push(Buffer.from(chunk));
    }
    src.end(null, 'eof');
  } catch (err) {
    opts.log(`reading ${info.path} (left while no daemon ran): ${(err as Error).message}`);
    src.end(null, 'error');
  } finally {
    await closeAsync(left.fd).catch(() => undefined);
  }
  return pos - info.skippedBytes;
}

/** Some other process holds `path` (now unlinked) open: /proc/PID/fd/N reads "<path> (deleted)". */
export function openedElsewhere(path: string, self = process.pid): boolean {
  const target = `${path} (deleted)`;
  for (const pid of listPids()) {
    if (pid === self) continue;
    for (const { link } of fdLinks(pid)) if (link === target) return true;
  }
  return false;
}
