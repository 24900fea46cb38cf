// Waiting across process lifecycles: exit with a wait pending, worker threads, and readers of another user.
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRing, type RingWriter } from '../../src/ring/ring.js';
import { kindOf, payloadOf } from './children/records.js';
import { buildChildren, cleanChildren, ringDir, sleep, spawnChild, type Child } from './helpers.js';
import { asRoot } from '../helpers.js';

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

describe('exit with a pending wait', { timeout: 60_000 }, () => {
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

describe('worker threads', { timeout: 60_000 }, () => {
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

describe('resource limits', { timeout: 60_000 }, () => {
  it.runIf(asRoot('thread limits: runs a child as another user under ulimit -u, which root ignores'))(
    'a waiter thread the kernel refuses is a JS error (EAGAIN), not an abort of the process', () => {
      const shared = ring('limits', 0o640, 65534);
      const script = join(out, 'tests', 'ring', 'children', 'many-waits.js');
      const r = spawnSync('bash', ['-c', `ulimit -u 60 && exec "$0" "$@"`, process.execPath, script,
        JSON.stringify({ path: shared.path, max: 500 })],
      { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 15_000, env: { ...process.env, NIX_BTM_RING_WAIT: 'thread' } });
      expect(r.stderr).toBe("");
      expect(r.signal).toBeNull();
      expect(r.status).toBe(0);
      const res = JSON.parse(r.stdout) as { started: number; error: string | null; code: unknown };
      expect(res.error).toBe('Error: cannot start the ring waiter thread: Resource temporarily unavailable');
      expect(res.code).toBe('EAGAIN');
      expect(res.started).toBeGreaterThan(0);
    });
});

describe('how a wait runs', { timeout: 60_000 }, () => {
  it('io_uring where the kernel allows it; out of descriptors, later waits fall back to the thread at run time, and all are woken', () => {
    const script = join(out, 'tests', 'ring', 'children', 'fd-limit.js');
    const path = join(dir, 'fd-limit');
    const r = spawnSync('bash', ['-c', `ulimit -n 64 && exec "$0" "$@"`, process.execPath, script,
      JSON.stringify({ path, count: 80 })], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NIX_BTM_RING_WAIT: '' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout) as { paths: Record<string, number>; fallback: string; woken: number; total: number };
    // This machine's kernel (>= 6.7, io_uring enabled) runs the first waits in the event loop.
    expect(res.paths.io_uring).toBeGreaterThan(0);
    expect(res.paths.thread).toBeGreaterThan(0);
    expect((res.paths.io_uring ?? 0) + (res.paths.thread ?? 0)).toBe(80);
    expect(res.fallback).toBe('io_uring_setup: Too many open files');
    expect(res).toMatchObject({ woken: 80, total: 80 });
  });
});

describe('readers of other users', { timeout: 60_000 }, () => {
  const isRoot = process.getuid?.() === 0;
  const nobody = { uid: 65534, gid: 65534 };

  it('a reader in the ring\'s group reads and is woken through a read-only mapping; others are refused', async () => {
    const sizes = { minBytes: 8, maxBytes: 64 };
    // Without root there is no other user to become: then a child of this user reads the 0640 file read-only.
    const shared = ring('group-read', 0o640, isRoot ? nobody.gid : undefined);
    const as = isRoot ? nobody : undefined;
    const c = child('reader', { path: shared.path, sizes, from: 0, until: 300, mode: 'wait' }, as);
    await c.message<{ ready?: boolean }>((m) => m.ready === true);
    // One record per turn of the event loop: each must wake the sleeping reader on its own.
    for (let seq = 0; seq < 300; seq++) {
      shared.writer.append(kindOf(seq), payloadOf(seq, sizes));
      await sleep(seq % 50 === 0 ? 5 : 0);
    }
    const res = await c.message<{ result?: { count: number; bad: string[] } }>((m) => m.result !== undefined);
    expect(res.result).toMatchObject({ count: 300, bad: [] });
    const closed = ring('owner-only', 0o600);
    if (!isRoot) chmodSync(closed.path, 0o000);
    const refused = child('reader', { path: closed.path, sizes, from: 0, until: 1, mode: 'wait' }, as);
    const { openError, code } = await refused.message<{ openError?: string; code?: string }>((m) => m.openError !== undefined);
    expect(openError).toBe(`Error: cannot open ${closed.path}: Permission denied`);
    expect(code).toBe('EACCES');
  });

  it.runIf(asRoot('ring tampering by a group member: becomes another user'))('a group member can neither write, truncate nor replace the ring', async () => {
    const sizes = { minBytes: 8, maxBytes: 64 };
    const shared = ring('tamper', 0o640, nobody.gid);
    const c = child('tamper', { path: shared.path }, nobody);
    const { tried } = await c.message<{ tried?: Record<string, string> }>((m) => m.tried !== undefined);
    expect(tried).toEqual({ openForWriting: 'EACCES', truncate: 'EACCES', unlink: 'EACCES', renameOver: 'EACCES', createBeside: 'EACCES' });
    // The writer still appends (a truncated file would have killed it with SIGBUS), and a reader sees every record.
    for (let seq = 0; seq < 10; seq++) shared.writer.append(kindOf(seq), payloadOf(seq, sizes));
    const r = child('reader', { path: shared.path, sizes, from: 0, until: 10, mode: 'spin' }, nobody);
    const res = await r.message<{ result?: { count: number; bad: string[] } }>((m) => m.result !== undefined);
    expect(res.result).toMatchObject({ count: 10, bad: [] });
  });
});
