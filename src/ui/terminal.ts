// The alternate screen and its restoration on every way out: q, Ctrl-C, SIGTERM, SIGHUP, a crash, process exit.
export const ENTER = '\x1b[?1049h\x1b[?25l';
export const LEAVE = '\x1b[?25h\x1b[?1049l';

export type Terminal = {
  /** Leaves the alternate screen (once; later calls do nothing). */
  readonly restore: () => void;
};

type Out = { write: (s: string) => unknown; isTTY?: boolean };

/**
 * Enters the alternate screen and hides the cursor; `onSignal` runs for SIGINT/SIGTERM/SIGHUP after the terminal is
 * restored. Crashes (uncaught exceptions, unhandled rejections) restore the terminal, print the error and exit 1.
 */
export function enterFullScreen(out: Out, onSignal: (signal: NodeJS.Signals) => void): Terminal {
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    out.write(LEAVE);
    for (const [event, handler] of handlers) process.off(event as 'exit', handler);
  };
  const crash = (err: unknown): void => {
    restore();
    process.stderr.write(`nix-btm: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  };
  const signal = (sig: NodeJS.Signals) => (): void => { restore(); onSignal(sig); };
  const handlers: [string, (arg: unknown) => void][] = [
    ['exit', restore], ['SIGTERM', signal('SIGTERM')], ['SIGHUP', signal('SIGHUP')], ['SIGINT', signal('SIGINT')],
    ['uncaughtException', crash], ['unhandledRejection', crash],
  ];
  for (const [event, handler] of handlers) process.on(event as 'exit', handler);
  out.write(ENTER);
  return { restore };
}
