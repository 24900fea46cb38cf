// A tmux session the e2e tests drive: send keys, read the screen, wait for what it should show.
import { execFileSync } from 'node:child_process';

export type TmuxScreen = {
  tmux(...args: string[]): string;
  screen(): string;
  /** The screen once it matches; fails with the last screen after timeoutMs. */
  waitScreen(match: RegExp | ((screen: string) => boolean), timeoutMs?: number, what?: string): Promise<string>;
  /** Kills the session if it is still there. */
  end(): void;
};

export function tmuxScreen(session: string): TmuxScreen {
  const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
  const screen = (): string => tmux('capture-pane', '-p', '-t', session);
  const waitScreen = async (match: RegExp | ((s: string) => boolean), timeoutMs = 30_000, what = String(match)): Promise<string> => {
    const test = typeof match === 'function' ? match : (s: string) => match.test(s);
    const end = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < end) {
      last = screen();
      if (test(last)) return last;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`screen never showed ${what}; last screen:\n${last}`);
  };
  const end = (): void => { try { tmux('kill-session', '-t', session); } catch { /* gone */ } };
  return { tmux, screen, waitScreen, end };
}
