// The feed client across a daemon restart, on real unix sockets: the new listener gets the feed request, every line
// held so far and every later line, in order, then the exit; line() never waits.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectFeed } from '../../src/commands/feed-connection.js';

const dir = mkdtempSync(join(tmpdir(), 'nix-btm-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Listener = { server: Server; received: () => unknown[]; closed: Promise<void>; kill: () => void };

function listen(path: string): Promise<Listener> {
  rmSync(path, { force: true });
  let text = '';
  const sockets: import('node:net').Socket[] = [];
  let onClosed: () => void = () => undefined;
  const closed = new Promise<void>((r) => { onClosed = r; });
  const server = createServer((s) => { sockets.push(s); s.on('data', (d) => { text += d; }); s.on('end', () => onClosed()); s.on('error', () => undefined); });
  return new Promise((resolve) => server.listen(path, () => resolve({
    server, closed,
    // Complete lines only: data may stop mid-line.
    received: () => text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown),
    kill: () => { server.close(); for (const s of sockets) s.destroy(); },
  })));
}

const until = async (f: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('feed reconnect', () => {
  it('replays everything held to a restarted listener, keeps order, sends the exit last', async () => {
    const path = join(dir, 'control.sock');
    const first = await listen(path);
    const feed = await connectFeed(path, 'nix-build x', { minBackoffMs: 20, maxBackoffMs: 100 });
    feed.setPid(4242);
    const lines = Array.from({ length: 5000 }, (_, i) => `@nix {"action":"msg","level":3,"msg":"line ${i}"}`);
    for (const l of lines.slice(0, 3000)) feed.line(l);
    await until(() => first.received().length === 3001, 'the first listener to get 3000 lines');
    first.kill();
    // Lines written while no daemon listens: held, never blocking.
    for (const l of lines.slice(3000, 4000)) feed.line(l);
    const second = await listen(path);
    await until(() => second.received().length >= 4001, 'the replay');
    for (const l of lines.slice(4000)) feed.line(l);
    await feed.end(0);
    await second.closed;
    const got = second.received();
    expect(got[0]).toEqual({ op: 'feed', command: 'nix-build x', pid: 4242 });
    expect(got.slice(1, -1)).toEqual(lines.map((line) => ({ line })));
    expect(got.at(-1)).toEqual({ exit: 0 });
    second.kill();
  });

  it('holds all lines to half the bound, then all but build-log and progress lines, then none', async () => {
    const path = join(dir, 'control2.sock');
    const first = await listen(path);
    const feed = await connectFeed(path, 'x', { minBackoffMs: 20, maxBackoffMs: 50, maxHeldBytes: 10_000 });
    feed.setPid(null);
    const result = (i: number): string => `@nix {"action":"result","fields":["log ${i}"],"id":1,"type":101}`;
    const msg = (i: number): string => `@nix {"action":"msg","level":3,"msg":"m ${i}"}`;
    for (let i = 0; i < 400; i++) { feed.line(result(i)); feed.line(msg(i)); }
    first.kill();
    const second = await listen(path);
    await until(() => second.received().length > 1, 'a replay');
    await feed.end(1);
    await second.closed;
    const replayed = second.received().slice(1, -1).map((m) => (m as { line: string }).line);
    const bytes = replayed.reduce((n, l) => n + l.length, 0);
    expect(bytes).toBeLessThan(10_000 + 100);
    const firstMsgOnly = replayed.findIndex((l, i) => i > 0 && l.startsWith('@nix {"action":"msg"') && replayed[i - 1]!.startsWith('@nix {"action":"msg"'));
    expect(firstMsgOnly).toBeGreaterThan(0);
    expect(replayed.slice(firstMsgOnly).every((l) => l.includes('"action":"msg"'))).toBe(true);
    second.kill();
  });
});
