// `nix-btm status | head -1`: the reader closing the pipe early is normal, not a crash. EPIPE on stdout or stderr
// ends the process quietly (exit 0, as cat does with SIGPIPE ignored: nothing more can be said anyway).
import type { Writable } from 'node:stream';

export function quietOnClosedPipe(streams: readonly Writable[] = [process.stdout, process.stderr]): void {
  for (const s of streams) {
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}
