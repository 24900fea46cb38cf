// Socket activation for real: a launcher (activation-launcher.py) binds the log socket and runs the daemon with it
// as fd 3 (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES=nix-log) as systemd does, and keeps it across a daemon restart.
// A Nix process that connects while the daemon is down waits in the socket's queue: nothing is lost.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hello } from '../../src/client/daemon-client.js';
import { pathsIn } from '../../src/protocol/paths.js';
import { BIN, closeSocket, freshDir, logClient, sleep, stopAll, waitForStatus, write } from './daemon-helpers.js';
import { root } from '../helpers.js';

let launcher: ChildProcess | null = null;
afterEach(async () => {
  if (launcher?.pid !== undefined && launcher.exitCode === null) {
    try { process.kill(-launcher.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  launcher = null;
  await stopAll();
});

const build = (id: number, name: string): string[] => [
  `{"action":"start","fields":["/nix/store/${String(id).padStart(32, 'a')}-${name}.drv","",1,1],"id":${id},"level":3,"parent":0,"text":"building","type":105}`,
  `{"action":"stop","id":${id}}`,
];

async function daemonPid(dir: string, not: number | null): Promise<number> {
  for (let i = 0; i < 200; i++) {
    try {
      const h = await hello(pathsIn(dir).control, 1000);
      if (h.daemon.pid !== not) return h.daemon.pid;
    } catch { /* not yet */ }
    await sleep(50);
  }
  throw new Error('no daemon answered');
}

describe('socket activation (LISTEN_FDS)', () => {
  it('takes the inherited socket, leaves it in place on stop, and reads what was queued while it was down', async () => {
    const dir = freshDir();
    const sock = pathsIn(dir).nixLog;
    launcher = spawn('python3', [join(root, 'tests/e2e/activation-launcher.py'), sock, '2', '--',
      process.execPath, BIN, 'daemon', '--runtime-dir', dir, '--refresh', '250',
      '--history', join(dir, 'history.sqlite'), '--no-import-nom'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    const first = await daemonPid(dir, null);
    const h = await hello(pathsIn(dir).control);
    expect(h.daemon.socketActivated).toBe(true);
    const a = await logClient(dir);
    await write(a, build(1, 'before-restart').join('\n') + '\n');
    await closeSocket(a);
    await waitForStatus(dir, (s) => s.derivations.some((d) => d.name === 'before-restart' && d.status === 'built'), 20_000, 'first build');

    process.kill(first, 'SIGTERM');
    await waitFor(() => !existsSync(pathsIn(dir).control), 'the control socket removed');
    // systemd's socket, not ours: still there, still accepting.
    expect(statSync(sock).isSocket()).toBe(true);
    const b = await logClient(dir);
    await write(b, build(2, 'while-down').join('\n') + '\n');
    await closeSocket(b);

    const second = await daemonPid(dir, first);
    expect(second).not.toBe(first);
    await waitForStatus(dir, (s) => s.derivations.some((d) => d.name === 'while-down' && d.status === 'built'), 20_000, 'the build queued while down');
  });

  it('without LISTEN_FDS, or with LISTEN_PID naming another process, binds its own socket', async () => {
    const dir = freshDir();
    const child = spawn(process.execPath, [BIN, 'daemon', '--runtime-dir', dir, '--history', join(dir, 'history.sqlite'), '--no-import-nom'], {
      env: { ...process.env, LISTEN_FDS: '1', LISTEN_PID: '1', LISTEN_FDNAMES: 'nix-log' }, stdio: 'ignore' });
    try {
      await daemonPid(dir, null);
      expect((await hello(pathsIn(dir).control)).daemon.socketActivated).toBeUndefined();
      expect(statSync(pathsIn(dir).nixLog).isSocket()).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(existsSync(pathsIn(dir).nixLog)).toBe(false);
  });
});

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}
