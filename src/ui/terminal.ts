// The alternate screen (and mouse reporting) and their restoration on every way out: q, Ctrl-C, SIGTERM, SIGHUP, a
// crash, process exit. A terminal left reporting the mouse would type escape codes into the shell on every click.
export const ENTER = '\x1b[?1049h\x1b[?25l';
export const LEAVE = '\x1b[?25h\x1b[?1049l';
/** Button presses and releases (1000) with wheel, reported as SGR (1006): no 223-column limit, unambiguous. */
export const MOUSE_ON = '\x1b[?1000h\x1b[?1006h';
export const MOUSE_OFF = '\x1b[?1006l\x1b[?1000l';

export type Terminal = {
  /** Leaves the alternate screen (once; later calls do nothing). */
  readonly restore: () => void;
};

type Out = { write: (s: string) => unknown; isTTY?: boolean };

/**
 * Enters the alternate screen and hides the cursor (and turns mouse reporting on); `onSignal` runs for
 * SIGINT/SIGTERM/SIGHUP after the terminal is restored. Crashes restore the terminal, print the error and exit 1.
 */
export function enterFullScreen(out: Out, onSignal: (signal: NodeJS.Signals) => void, opts: { readonly mouse?: boolean } = {}): Terminal {
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    out.write((opts.mouse ? MOUSE_OFF : '') + LEAVE);
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
  out.write(ENTER + (opts.mouse ? MOUSE_ON : ''));
  return { restore };
}
