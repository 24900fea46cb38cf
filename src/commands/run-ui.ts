// Starts the interactive UI: full screen, a store fed by `feed`, signals through `controller`; resolves on exit.
import React from 'react';
import { render } from 'ink';
import App from '../components/App.js';
import type { Controller, Feed, FeedStatus } from '../ui/feed.js';
import type { HostMeters } from '../ui/meters.js';
import { createStore, type Store } from '../ui/store.js';
import { enterFullScreen } from '../ui/terminal.js';
import { createLineWriter } from '../ui/line-writer.js';

export type RunUiOptions = {
  readonly feed: Feed;
  readonly controller: Controller;
  /** Status before the feed reports its own, e.g. why there is no daemon. */
  readonly status?: FeedStatus;
  /** Longest wait between an event and the frame showing it. */
  readonly frameMs?: number;
  /** A store made by the caller (several machines: src/ui/fleet-store.ts). */
  readonly store?: Store;
  /** SGR mouse reporting (default on; `--no-mouse` turns it off). */
  readonly mouse?: boolean;
  /** The manual's lines (with the commands), lines for an empty machine, the header's disk/network/load. */
  readonly manual?: readonly string[];
  readonly firstSteps?: readonly string[];
  readonly meters?: () => HostMeters | null;
};

/** OSC 52: the terminal (and tmux with set-clipboard) puts the text on the clipboard. */
export const osc52 = (text: string): string => `\x1b]52;c;${Buffer.from(text).toString('base64')}\x07`;

export async function runUi(opts: RunUiOptions): Promise<void> {
  const store = opts.store ?? createStore({ frameMs: opts.frameMs ?? 33, status: opts.status });
  let quit = (): void => {};
  const mouse = opts.mouse ?? true;
  const terminal = enterFullScreen(process.stdout, (sig) => { quit(); process.exitCode = sig === 'SIGINT' ? 130 : 143; }, { mouse });
  const stop = opts.feed.start({ events: store.apply, reset: store.reset, status: store.setStatus });
  const writer = createLineWriter(process.stdout);
  // Stray console output would land between diffed frames; it is kept and printed after the screen is restored.
  const said: string[] = [];
  const saved = { log: console.log, warn: console.warn, error: console.error };
  console.log = console.warn = console.error = (...args: unknown[]) => { said.push(args.map(String).join(' ')); };
  const app = render(
    React.createElement(App, {
      store, controller: opts.controller, onQuit: () => quit(), onCopy: (text: string) => { process.stdout.write(osc52(text)); },
      manual: opts.manual, firstSteps: opts.firstSteps, meters: opts.meters,
    }),
    // Only the lines that changed reach the terminal (line-writer.ts; bench: ui.bytesPerFrameOneRowChange).
    { stdout: writer.stream, exitOnCtrlC: false, patchConsole: false, maxFps: 30 },
  );
  quit = () => app.unmount();
  try {
    await app.waitUntilExit();
  } finally {
    stop();
    store.dispose();
    terminal.restore();
    Object.assign(console, saved);
    for (const line of said.slice(-50)) process.stderr.write(`${line}\n`);
  }
}
