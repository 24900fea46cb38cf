// Waiting across process lifecycles: exit with a wait pending, worker threads, and readers of another user.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRing, type RingWriter } from '../../src/ring/ring.js';
import { kindOf, payloadOf } from './children/records.js';
import { buildChildren, cleanChildren, ringDir, sleep, spawnChild, type Child } from './helpers.js';

let out = '';
let dir = '';
const children: Child[] = [];
const writers: RingWriter[] = [];

beforeAll(() => {
  out = buildChildren();
  dir = ringDir();
  chmodSync(dir, 0o755); // the permission test's reader runs as another user
});

afterAll(() => {
  for (const c of children) c.process.kill('SIGKILL');
  for (const w of writers) w.close();
  cleanChildren(out);
  cleanChildren(dir);
});

function child(name: string, options: object, as?: { uid: number; gid: number }): Child {
  const c = spawnChild(out, name, options, as);
  children.push(c);
  return c;
}

function ring(name: string, mode?: number, gid?: number): { path: string; writer: RingWriter } {
  const path = join(dir, name);
  const writer = createRing({ path, capacityBytes: 65536, maxRecordBytes: 1024, mode, gid });
  writers.push(writer);
  return { path, writer };
}

describe('exit with a pending wait', { timeout: 20_000 }, () => {
  it('an unref\'d wait lets the process end by itself', async () => {
    const { path } = ring('natural');
    const c = child('wait-exit', { path, mode: 'natural' });
    expect(await c.message<{ activeWaiters?: number }>((m) => m.activeWaiters !== undefined)).toEqual({ waiting: true, activeWaiters: 1 });
    expect(await c.exit).toEqual({ code: 0, signal: null });
  });

  it('a ref\'d wait keeps the process alive until a record arrives', async () => {
    const { path, writer } = ring('ref');
    const c = child('wait-exit', { path, mode: 'ref' });
    await c.message<{ waiting?: boolean }>((m) => m.waiting === true);
    await sleep(300);
    expect(c.process.exitCode).toBeNull();
    writer.append(1, 'wake up');
    expect(await c.exit).toEqual({ code: 0, signal: null });
  });

  it('process.exit() and an uncaught exception while blocked in the futex exit with their code, no hang or crash', async () => {
    const { path } = ring('exit');
    const exiting = child('wait-exit', { path, mode: 'exit' });
    const throwing = child('wait-exit', { path, mode: 'throw' });
    expect(await exiting.exit).toEqual({ code: 7, signal: null });
    expect(await throwing.exit).toEqual({ code: 1, signal: null });
    expect(throwing.stderr()).toContain('boom while waiting');
  });
});

describe('worker threads', { timeout: 20_000 }, () => {
  it('readers in three workers each get every record; a worker terminated mid-wait and one ending naturally exit cleanly', async () => {
    const path = join(dir, 'workers');
    const c = child('workers', { path, count: 5000 });
    type Done = {
      results: Array<{ count: number; bad: string[]; activeWhileWaiting: number; activeAfterClose: number }>;
      readerExits: number[];
      naturalExit: number;
      hangExit: number;
      mainActive: number;
    };
    const { done } = await c.message<{ done?: Done }>((m) => m.done !== undefined);
    expect(done?.results).toEqual([0, 1, 2].map(() => ({ count: 5000, bad: [], activeWhileWaiting: 1, activeAfterClose: 0 })));
    expect(done).toMatchObject({ readerExits: [0, 0, 0], naturalExit: 0, hangExit: 1, mainActive: 0 });
    expect(await c.exit).toEqual({ code: 0, signal: null });
  });
});

describe('readers of other users', { timeout: 20_000 }, () => {
  const isRoot = process.getuid?.() === 0;
  const nobody = { uid: 65534, gid: 65534 };

  it('a reader in the ring\'s group reads; with mode 0640 it polls, with 0660 it asks for wake-ups; others are refused', async () => {
    const sizes = { minBytes: 8, maxBytes: 64 };
    // Without root there is no other user to become: then this process reads through a read-only file instead.
    const readOnly = ring('group-read', 0o640, isRoot ? nobody.gid : undefined);
    if (!isRoot) chmodSync(readOnly.path, 0o440);
    const readWrite = ring('group-write', 0o660, isRoot ? nobody.gid : undefined);
    const as = isRoot ? nobody : undefined;
    const results = [readOnly, readWrite].map(async ({ path, writer }) => {
      const c = child('reader', { path, sizes, from: 0, until: 300, mode: 'wait' }, as);
      await c.message<{ ready?: boolean }>((m) => m.ready === true);
      for (let seq = 0; seq < 300; seq++) writer.append(kindOf(seq), payloadOf(seq, sizes));
      return c.message<{ result?: { count: number; bad: string[]; canRequestWake: boolean } }>((m) => m.result !== undefined);
    });
    const [ro, rw] = await Promise.all(results);
    expect(ro?.result).toMatchObject({ count: 300, bad: [], canRequestWake: false });
    expect(rw?.result).toMatchObject({ count: 300, bad: [], canRequestWake: true });
    const closed = ring('owner-only', 0o600);
    if (!isRoot) chmodSync(closed.path, 0o000);
    const refused = child('reader', { path: closed.path, sizes, from: 0, until: 1, mode: 'wait' }, as);
    const { openError, code } = await refused.message<{ openError?: string; code?: string }>((m) => m.openError !== undefined);
    expect(openError).toBe(`Error: cannot open ${closed.path}: Permission denied`);
    expect(code).toBe('EACCES');
  });
});
