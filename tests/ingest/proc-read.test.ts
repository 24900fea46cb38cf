// The /proc readers the daemon's security checks use (owner.ts, peer.ts, left-file.ts, the intake thread): read on
// this very process and on a child, and on a process that is gone (a null or nothing, never a throw).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNetDev } from '../../src/ingest/net-dev.js';
import { fdLinks, readCommand, readExe, readOpenFilesLimit } from '../../src/ingest/proc-read.js';

const dir = mkdtempSync(join(tmpdir(), 'nix-btm-proc-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that no process has now: a child that ran and was reaped. */
function gonePid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

describe('ingest/proc-read', () => {
  it('reads a process its command, executable and open files', async () => {
    const child = spawn('sleep', ['30', '0'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(readCommand(child.pid!)).toBe('sleep 30 0');
      expect(readExe(child.pid!)).toBe(realpathSync(spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim()));
    } finally {
      child.kill('SIGKILL');
    }
    const file = join(dir, 'held');
    const fd = openSync(file, 'w');
    try {
      expect([...fdLinks(process.pid)]).toContainEqual({ fd, link: file });
    } finally {
      closeSync(fd);
    }
    expect([...fdLinks(process.pid)].some((l) => l.link === file)).toBe(false);
    expect(readOpenFilesLimit()).toBeGreaterThan(0);
    const net = readNetDev();
    expect(net?.rx).toBeGreaterThanOrEqual(0);
    expect(readNetDev(join(dir, 'no-such-file'))).toBeNull();
  });

  it('a process that is gone is empty, never a throw', () => {
    const pid = gonePid();
    expect(readCommand(pid)).toBe('');
    expect(readExe(pid)).toBeNull();
    expect([...fdLinks(pid)]).toEqual([]);
  });
});
