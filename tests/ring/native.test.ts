// The loader and the non-ring parts of the addon surface.
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadNative } from '../../src/addon/native.js';
import { packageRoot } from '../../src/addon/package-root.js';
import { cleanChildren, ringDir, ROOT } from './helpers.js';

describe('native addon loader', () => {
  it('finds the package root from src/ring, and refuses a directory outside the package', () => {
    expect(packageRoot()).toBe(ROOT);
    expect(packageRoot(join(ROOT, 'dist', 'src', 'ring'))).toBe(ROOT);
    expect(() => packageRoot(tmpdir())).toThrow(`cannot find the nix-btm package root above ${tmpdir()}`);
  });

  it('loads one addon object per thread and exposes the documented surface', () => {
    const addon = loadNative();
    expect(loadNative()).toBe(addon);
    expect(Object.keys(addon).sort()).toEqual(['RingReader', 'RingWriter', 'activeWaiters', 'layout', 'makeFifo', 'peerCred', 'pidfdOpen', 'pidfdSendSignal', 'shortSlices', 'socketPeer']);
  });
});

describe('peerCred', () => {
  it('reports the pid, uid and gid on the other end of a unix socket', async () => {
    const dir = ringDir();
    const path = join(dir, 'peer.sock');
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer((s) => {
        server.close();
        resolve(s);
      }).listen(path);
    });
    const client = connect(path);
    const socket = await accepted;
    try {
      const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
      expect(loadNative().peerCred(fd)).toEqual({ pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() });
      expect(() => loadNative().peerCred(-1)).toThrow('cannot read SO_PEERCRED of fd -1: Bad file descriptor');
    } finally {
      client.destroy();
      socket.destroy();
      cleanChildren(dir);
    }
  });
});
