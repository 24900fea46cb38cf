// The feed client across a daemon restart, on real unix sockets: the new listener gets the feed request, every line
// held so far and every later line, in order, then the exit; line() never waits. Each listener answers the request
// as a daemon does: with frames (this version) or without (a daemon from before frames: `{line}` objects).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectFeed } from '../../src/commands/feed-connection.js';
import { FrameReader } from '../../src/protocol/feed-frames.js';

const dir = mkdtempSync(join(tmpdir(), 'nix-btm-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Listener = { server: Server; received: () => unknown[]; closed: Promise<void>; kill: () => void };

/** What the listener got, as the `{line}`/`{exit}` objects of a feed without frames, after the request. */
function listen(path: string, framed = true): Promise<Listener> {
  rmSync(path, { force: true });
  let request: unknown = null;
  let head = '';
  let text = '';
  const out: unknown[] = [];
  const reader = new FrameReader();
  const sockets: import('node:net').Socket[] = [];
  let onClosed: () => void = () => undefined;
  const closed = new Promise<void>((r) => { onClosed = r; });
  const onData = (s: import('node:net').Socket, d: Buffer): void => {
    if (request === null) {
      head += d.toString('latin1');
      const nl = head.indexOf('\n');
      if (nl < 0) return;
      request = JSON.parse(head.slice(0, nl)) as unknown;
      s.write(JSON.stringify({ ok: true, op: 'feed', ...(framed ? { framed: true } : {}) }) + '\n');
      d = Buffer.from(head.slice(nl + 1), 'latin1');
    }
    if (!framed) { text += d.toString(); return; }
    reader.push(d, (f) => {
      if (f.type === 'exit') { out.push({ exit: f.code }); return; }
      if (f.type === 'log') text += f.bytes.toString();
    });
  };
  const server = createServer((s) => { sockets.push(s); s.on('data', (d: Buffer) => onData(s, d)); s.on('end', () => onClosed()); s.on('error', () => undefined); });
  return new Promise((resolve) => server.listen(path, () => resolve({
    server, closed,
    // Complete lines only: data may stop mid-line.
    received: () => {
      const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '');
      const got = framed ? lines.map((line) => ({ line })) : lines.map((l) => JSON.parse(l) as unknown);
      return request === null ? [] : [request, ...got, ...out];
    },
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
  it.each([true, false])('replays everything held to a restarted listener, keeps order, sends the exit last (frames: %s)', async (framed) => {
    const path = join(dir, `control-${framed}.sock`);
    const first = await listen(path, framed);
    const feed = await connectFeed(path, 'nix-build x', { minBackoffMs: 20, maxBackoffMs: 100 });
    feed.setPid(4242);
    const lines = Array.from({ length: 5000 }, (_, i) => `@nix {"action":"msg","level":3,"msg":"line ${i}"}`);
    for (const l of lines.slice(0, 3000)) feed.line(l);
    await until(() => first.received().length === 3001, 'the first listener to get 3000 lines');
    first.kill();
    // Lines written while no daemon listens: held, never blocking.
    for (const l of lines.slice(3000, 4000)) feed.line(l);
    // The new daemon takes frames when the old one did not (or the other way round): each connection asks.
    const second = await listen(path, !framed);
    await until(() => second.received().length >= 4001, 'the replay');
    for (const l of lines.slice(4000)) feed.line(l);
    await feed.end(0);
    await second.closed;
    const got = second.received();
    expect(got[0]).toEqual({ op: 'feed', command: 'nix-build x', pid: 4242, framed: true, startedAt: expect.any(Number) });
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
