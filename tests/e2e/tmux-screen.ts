// A tmux session the e2e tests drive: send keys, read the screen, wait for what it should show.
import { execFileSync } from 'node:child_process';

export type TmuxScreen = {
  tmux(...args: string[]): string;
  screen(): string;
  /** The screen once it matches; fails with the last screen after timeoutMs. */
  waitScreen(match: ScreenMatch, timeoutMs?: number, what?: string): Promise<string>;
  /** Kills the session if it is still there. */
  end(): void;
};

/** Text the screen contains, a pattern it matches, or a test of the whole screen. */
export type ScreenMatch = string | RegExp | ((screen: string) => boolean);

export type TmuxScreenOptions = {
  /** capture-pane -J: lines the terminal wrapped read joined, as the program wrote them. */
  readonly join?: boolean;
  readonly pollMs?: number;
};

export function tmuxScreen(session: string, options: TmuxScreenOptions = {}): TmuxScreen {
  const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
  const capture = options.join === true ? ['capture-pane', '-p', '-J', '-t', session] : ['capture-pane', '-p', '-t', session];
  const screen = (): string => tmux(...capture);
  const waitScreen = async (match: ScreenMatch, timeoutMs = 30_000, what = String(match)): Promise<string> => {
    const test = typeof match === 'function' ? match
      : typeof match === 'string' ? (s: string) => s.includes(match) : (s: string) => match.test(s);
    const end = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < end) {
      last = screen();
      if (test(last)) return last;
      await new Promise((r) => setTimeout(r, options.pollMs ?? 150));
    }
    throw new Error(`screen never showed ${what}; last screen:\n${last}`);
  };
  const end = (): void => { try { tmux('kill-session', '-t', session); } catch { /* gone */ } };
  return { tmux, screen, waitScreen, end };
}
