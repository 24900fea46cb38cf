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
    expect(parseProxyRequest('{"id":2,"op":"framing","framing":"batch"}')).toEqual({ id: 2, op: 'framing', framing: 'batch' });
    expect(parseProxyRequest('{"id":2,"op":"framing","framing":"zip"}')).toEqual({ bad: 'unknown framing zip' });
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

describe('the batch framing', () => {
  const hello = async (framings?: string[]): Promise<string> => {
    const { initialState } = await import('../../src/state/reducer.js');
    const { toSnapshot } = await import('../../src/state/snapshot.js');
    return JSON.stringify({ t: 'hello', version: 1, seq: 0, snapshot: toSnapshot(initialState()), daemon: { pid: 1 }, ...(framings ? { framings } : {}) });
  };
  const ev = (n: number): string => JSON.stringify({ kind: 'source-close', at: n, source: `s${n}`, exitCode: 0, reason: 'eof' });
  /** A far side that notes the requests it got, then sends `after` once a framing request came (or at once). */
  async function far(name: string, framings: string[] | undefined, after: string): Promise<{ path: string; asked: string }> {
    const asked = join(dir, `${name}-asked`);
    const path = join(dir, name);
    writeFileSync(path, `#!${process.execPath}
const fs = require('node:fs');
process.stdout.write('C ' + ${JSON.stringify(await hello(framings))} + '\\n');
let buf = '';
let sent = false;
const send = () => { if (!sent) { sent = true; process.stdout.write(${JSON.stringify(after)}); } };
process.stdin.on('data', (c) => {
  buf += c;
  for (const line of buf.split('\\n').slice(0, -1)) if (line !== '') fs.appendFileSync(${JSON.stringify(asked)}, line + '\\n');
  buf = buf.slice(buf.lastIndexOf('\\n') + 1);
  if (fs.existsSync(${JSON.stringify(asked)})) { const r = JSON.parse(fs.readFileSync(${JSON.stringify(asked)}, 'utf8').split('\\n')[0]); process.stdout.write('C ' + JSON.stringify({ t: 'reply', id: r.id, ok: true }) + '\\n'); send(); }
});
${framings ? '' : 'setTimeout(send, 50);'}
setTimeout(() => {}, 10000);
`);
    chmodSync(path, 0o755);
    return { path, asked };
  }
  async function run(ssh: string, until: (n: number) => boolean): Promise<{ sources: string[]; statuses: HostStatus[] }> {
    const sources: string[] = [];
    const statuses: HostStatus[] = [];
    const conn = connectHost(parseHostUri('h')!, {
      reset: () => undefined,
      events: (es) => { for (const e of es) sources.push(e.kind === 'source-close' ? e.source : e.kind); },
      status: (s) => statuses.push(s),
    }, { ssh, minBackoffMs: 5000 });
    const deadline = Date.now() + 10_000;
    while (!until(sources.length) && !statuses.some((s) => s.kind === 'unreachable') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    conn.stop();
    return { sources, statuses };
  }
  it('asked for when hello offers it; "B [...]" lines applied in order, mixed with "E" lines', async () => {
    const { readFileSync } = await import('node:fs');
    const f = await far('batching', ['batch'], `B [${ev(1)},${ev(2)},${ev(3)}]\nE ${ev(4)}\nB [${ev(5)}]\n`);
    const { sources } = await run(f.path, (n) => n >= 5);
    expect(sources).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect(JSON.parse(readFileSync(f.asked, 'utf8').split('\n')[0]!)).toMatchObject({ op: 'framing', framing: 'batch' });
  });
  it('an older proxy (no framings in hello) is not asked, and its lines are read as before', async () => {
    const { existsSync } = await import('node:fs');
    const f = await far('lines', undefined, `E ${ev(1)}\nE ${ev(2)}\n`);
    const { sources } = await run(f.path, (n) => n >= 2);
    expect(sources).toEqual(['s1', 's2']);
    // Only the empty acknowledging lines came back, never a framing request.
    expect(existsSync(f.asked)).toBe(false);
  });
  it('a batch with one bad record: nothing of it applied, the connection starts again from a snapshot', async () => {
    const f = await far('badbatch', ['batch'], `B [${ev(1)},{"kind":"proc-scan"}]\n`);
    const { sources, statuses } = await run(f.path, () => false);
    expect(sources).toEqual([]);
    expect(statuses.find((s) => s.kind === 'unreachable')?.detail).toMatch(/^the remote proxy sent a bad batch: record 1 of a batch: /);
  });
});
