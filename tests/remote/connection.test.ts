// A remote side that does not speak the wire (a login banner, another nix-btm version, garbage, an exit) is a
// visible state and a reconnect with backoff, never an exception: `ssh` here is a script standing for the far side.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectHost, type HostStatus } from '../../src/remote/connection.js';
import { parseHostUri } from '../../src/remote/hosts.js';
import { parseProxyMessage, parseProxyRequest } from '../../src/remote/wire.js';

const dir = mkdtempSync(join(tmpdir(), 'btm-hosts-conn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeSsh(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function statuses(ssh: string, until: (s: HostStatus[]) => boolean): Promise<HostStatus[]> {
  const seen: HostStatus[] = [];
  let events = 0;
  const conn = connectHost(parseHostUri('h')!, { reset: () => undefined, events: (e) => { events += e.length; }, status: (s) => seen.push(s) },
    { ssh, minBackoffMs: 20, maxBackoffMs: 40 });
  const deadline = Date.now() + 10_000;
  while (!until(seen) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  conn.stop();
  expect(events).toBe(0);
  return seen;
}

describe('connectHost with a far side that does not speak the wire', () => {
  it('a banner or garbage: unreachable, with the reason, and tried again', async () => {
    const seen = await statuses(fakeSsh('banner', 'echo "Welcome to builder1"; sleep 5'), (s) => s.filter((x) => x.kind === 'unreachable').length >= 2);
    const down = seen.filter((s) => s.kind === 'unreachable');
    expect(down[0]?.detail).toBe("the remote side does not speak nix-btm's wire: Welcome to builder1");
    expect(seen.filter((s) => s.kind === 'connecting').length).toBeGreaterThanOrEqual(2);
  });
  it('another wire version: says to install the same nix-btm', async () => {
    const seen = await statuses(fakeSsh('old', `echo 'C {"t":"hello","version":99,"seq":0,"snapshot":{},"daemon":{}}'; sleep 5`), (s) => s.some((x) => x.kind === 'unreachable'));
    expect(seen.find((s) => s.kind === 'unreachable')?.detail).toMatch(/wire version 99, not 1: install the same nix-btm there/);
  });
  it('a snapshot that is not one, events before any snapshot: refused, nothing applied', async () => {
    const seen = await statuses(fakeSsh('bad', `echo 'E {"kind":"proc-scan"}'; echo 'C {"t":"hello","version":1,"seq":0,"snapshot":{"version":0},"daemon":{}}'; sleep 5`),
      (s) => s.some((x) => x.kind === 'unreachable'));
    expect(seen.find((s) => s.kind === 'unreachable')?.detail).toMatch(/^bad snapshot: snapshot version 0/);
  });
  it('ssh failing: its last stderr line', async () => {
    const seen = await statuses(fakeSsh('fail', 'echo "ssh: connect to host h port 22: Connection refused" >&2; exit 255'), (s) => s.some((x) => x.kind === 'unreachable'));
    const u = seen.find((s) => s.kind === 'unreachable');
    expect(u?.detail).toBe('ssh: connect to host h port 22: Connection refused');
    expect(u && 'retryAt' in u ? u.retryAt : 0).toBeGreaterThan(0);
  });
});

describe('the wire', () => {
  it('checks control messages and requests by shape', () => {
    expect(parseProxyMessage('{"t":"down","reason":"x"}')).toEqual({ t: 'down', reason: 'x' });
    expect(parseProxyMessage('[1]')).toEqual({ bad: 'a control message is a JSON object' });
    expect(parseProxyMessage('{"t":"beat"}')).toEqual({ bad: 'beat without seq' });
    expect(parseProxyMessage('{"t":"x"}')).toEqual({ bad: 'unknown control message x' });
    expect(parseProxyRequest('{"id":1,"op":"signal","pid":2}')).toMatchObject({ id: 1, op: 'signal' });
    expect(parseProxyRequest('{"op":"signal"}')).toEqual({ bad: 'a request is a JSON object with a numeric id' });
    expect(parseProxyRequest('{"id":1,"op":"feed"}')).toEqual({ bad: 'unknown request feed' });
  });
});

describe('the empty line a UI answers with', () => {
  it('goes back only once the chunk\'s events are applied (its write wakes ssh, which may take this CPU)', async () => {
    const { initialState } = await import('../../src/state/reducer.js');
    const { toSnapshot } = await import('../../src/state/snapshot.js');
    const hello = JSON.stringify({ t: 'hello', version: 1, seq: 0, snapshot: toSnapshot(initialState()), daemon: { pid: 1 } });
    const event = JSON.stringify({ kind: 'source-close', at: 1, source: 's', exitCode: 0, reason: 'eof' });
    const stamp = join(dir, 'answered-at');
    // The far side: hello, then one event once the UI answered the hello; it notes when the answer to the event came.
    const path = join(dir, 'order');
    writeFileSync(path, `#!${process.execPath}
const fs = require('node:fs');
process.stdout.write('C ' + ${JSON.stringify(hello)} + '\\n');
let answers = 0;
process.stdin.on('data', (c) => {
  for (const ch of String(c)) if (ch === '\\n' && ++answers === 1) setTimeout(() => process.stdout.write('E ' + ${JSON.stringify(event)} + '\\n'), 20);
  if (answers >= 2) fs.writeFileSync(${JSON.stringify(stamp)}, String(Date.now()));
});
setTimeout(() => {}, 10000);
`);
    chmodSync(path, 0o755);
    let appliedUntil = 0;
    const conn = connectHost(parseHostUri('h')!, {
      reset: () => undefined,
      // Applying takes 300 ms here: an answer written before it would reach the far side in the meantime.
      events: () => { const end = Date.now() + 300; while (Date.now() < end) { /* applying */ } appliedUntil = Date.now(); },
      status: () => undefined,
    }, { ssh: path, minBackoffMs: 20 });
    const { existsSync, readFileSync } = await import('node:fs');
    const deadline = Date.now() + 10_000;
    while (!(existsSync(stamp) && appliedUntil > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    conn.stop();
    expect(appliedUntil).toBeGreaterThan(0);
    expect(Number(readFileSync(stamp, 'utf8'))).toBeGreaterThanOrEqual(appliedUntil);
  });
});
