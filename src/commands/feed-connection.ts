// The client end of a feed: `{op:"feed"}` then one `{line}` per log line and a final `{exit}` on the control socket.
import { connect } from 'node:net';
import { sendJson } from '../daemon/json-lines.js';

export type Feed = {
  line(text: string): void;
  /** The Nix client's pid, once known (shown as the job's client). */
  setPid(pid: number | null): void;
  end(exitCode: number | null): Promise<void>;
};

export function connectFeed(controlPath: string, command: string): Promise<Feed> {
  return new Promise((resolve, reject) => {
    const socket = connect(controlPath);
    let pid: number | null = null;
    let opened = false;
    const pending: string[] = [];
    const open = (): void => {
      if (opened) return;
      opened = true;
      sendJson(socket, { op: 'feed', command, pid });
      for (const l of pending.splice(0)) sendJson(socket, { line: l });
    };
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined); // a daemon that dies mid-build must not kill the build: Nix goes on
      resolve({
        line: (text) => { if (opened) sendJson(socket, { line: text }); else pending.push(text); },
        setPid: (p) => { pid = p; open(); },
        end: (exit) => new Promise<void>((done) => {
          open();
          sendJson(socket, { exit });
          socket.end(() => done());
          setTimeout(done, 2000).unref();
        }),
      });
    });
  });
}
