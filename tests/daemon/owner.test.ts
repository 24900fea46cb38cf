// owner.ts on real processes: /proc facts, the executable rather than the name, and the client of a real Nix 2.8
// daemon worker found by the kernel's credentials of the worker's connection (pidfd_getfd + SO_PEERCRED).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isDaemonWorker, isNixExecutable, isSelfOrDescendant, ownerOf, readFacts, workerClient } from '../../src/daemon/owner.js';
import { sanitize } from '../../src/state/text.js';

const DAEMON_SOCKET = '/nix/var/nix/daemon-socket/socket';
const root = process.getuid?.() === 0;

describe('owner', () => {
  it('reads real and effective uid, parent and executable from /proc', () => {
    const f = readFacts(process.pid)!;
    expect(f).toMatchObject({ pid: process.pid, ppid: process.ppid, ruid: process.getuid!(), euid: process.geteuid!() });
    expect(f.exe).toBe(process.execPath);
    expect(isNixExecutable(f.exe)).toBe(false);
    expect(isNixExecutable('/nix/store/abc-nix-2.30.5/bin/nix (deleted)')).toBe(true);
    expect(isNixExecutable('/tmp/x/nix-daemon-helper')).toBe(false);
    expect(readFacts(2 ** 22 + 7)).toBeNull();
    expect(ownerOf(process.pid, () => false)).toEqual({ uid: process.getuid!(), why: 'own', clientPid: null });
  });

  it('tells descendants from the rest by /proc parents', async () => {
    const child = spawn('sleep', ['5'], { stdio: 'ignore' });
    expect(isSelfOrDescendant(child.pid!, process.pid)).toBe(true);
    expect(isSelfOrDescendant(process.pid, process.pid)).toBe(true);
    expect(isSelfOrDescendant(process.ppid, process.pid)).toBe(false);
    expect(isSelfOrDescendant(1, process.pid)).toBe(false);
    child.kill();
  });

  it.runIf(root && existsSync(DAEMON_SOCKET))('finds the client of a real nix-daemon worker by its connection, whatever the worker argv says', async () => {
    const s = connect(DAEMON_SOCKET);
    await new Promise((r) => s.once('connect', r));
    try {
      // The daemon forks a worker per connection; ours is the one whose connection's peer is this process.
      let found = null as { worker: number; client: ReturnType<typeof workerClient> } | null;
      for (let i = 0; i < 100 && found === null; i++) {
        for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number)) {
          const f = readFacts(pid);
          if (f === null || !isDaemonWorker(f)) continue;
          // selfPid -1: here this process is the client (the daemon leaves out its own log connections).
          const client = workerClient(pid, -1);
          if (client?.pid === process.pid) found = { worker: pid, client };
        }
        if (found === null) await new Promise((r) => setTimeout(r, 50));
      }
      expect(found?.client).toEqual({ pid: process.pid, uid: 0, by: 'client-socket' });
    } finally {
      s.destroy();
    }
  });
});

describe('sanitize', () => {
  it('removes escape sequences and shows every other control as a space', () => {
    expect(sanitize('plain text')).toBe('plain text');
    expect(sanitize('a\bb\rc\u001b[2Kd\u009be\u202ef')).toBe('a b cd e f');
    expect(sanitize('one\ntwo\tthree', true)).toBe('one\ntwo three');
    expect(sanitize('one\ntwo')).toBe('one two');
  });
});
