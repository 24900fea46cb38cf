// Saved internal-json logs -> events, each file its own source (ids are only unique per Nix process).
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { BtmEvent } from '../state/events.js';
import type { DecodeStats } from './decode.js';
import { openLogSource } from './log-source.js';

export type ReplayedFile = { readonly path: string; readonly source: string; readonly stats: DecodeStats };

/** Reads each file in turn, passing every event to `emit`; times are unknown (null), so output is deterministic. */
export async function replayFiles(paths: readonly string[], emit: (e: BtmEvent) => void): Promise<ReplayedFile[]> {
  const done: ReplayedFile[] = [];
  for (const [i, path] of paths.entries()) {
    const source = `replay:${i}:${basename(path)}`;
    const log = openLogSource({
      source, emit, clock: () => null,
      info: { via: 'replay', pid: null, uid: null, user: null, command: path },
    });
    try {
      for await (const chunk of createReadStream(path)) log.push(chunk as Buffer);
      log.end(null, 'eof');
    } catch (err) {
      log.end(null, 'error');
      throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    done.push({ path, source, stats: log.stats });
  }
  return done;
}
