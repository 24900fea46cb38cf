// Starts the interactive UI: full screen, a store fed by `feed`, signals through `controller`; resolves on exit.
import React from 'react';
import { render } from 'ink';
import App from '../components/App.js';
import type { Controller, Feed, FeedStatus } from './feed.js';
import { createStore, type Store } from './store.js';
import { enterFullScreen } from './terminal.js';

export type RunUiOptions = {
  readonly feed: Feed;
  readonly controller: Controller;
  /** Status before the feed reports its own, e.g. why there is no daemon. */
  readonly status?: FeedStatus;
  /** Longest wait between an event and the frame showing it. */
  readonly frameMs?: number;
  /** A store made by the caller (several machines: src/ui/fleet-store.ts). */
  readonly store?: Store;
};

/** OSC 52: the terminal (and tmux with set-clipboard) puts the text on the clipboard. */
export const osc52 = (text: string): string => `\x1b]52;c;${Buffer.from(text).toString('base64')}\x07`;

export async function runUi(opts: RunUiOptions): Promise<void> {
  const store = opts.store ?? createStore({ frameMs: opts.frameMs ?? 33, status: opts.status });
  let quit = (): void => {};
  const terminal = enterFullScreen(process.stdout, (sig) => { quit(); process.exitCode = sig === 'SIGINT' ? 130 : 143; });
  const stop = opts.feed.start({ events: store.apply, reset: store.reset, status: store.setStatus });
  const app = render(
    React.createElement(App, {
      store, controller: opts.controller, onQuit: () => quit(), onCopy: (text: string) => process.stdout.write(osc52(text)),
    }),
    { exitOnCtrlC: false, patchConsole: true, maxFps: 30 },
  );
  quit = () => app.unmount();
  try {
    await app.waitUntilExit();
  } finally {
    stop();
    store.dispose();
    terminal.restore();
  }
}
