// What the README promises of the CLI, tried for real: a user outside the daemon's group is told "permission denied:
// ask to be added to group X" (a real unprivileged user, a real 0660 socket of another group), and a closed pipe
// (`| head -1`) ends the output quietly.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'nix-btm');
const USER = 'btm-ui-outsider';
const GROUP = 'btm-ui-group';
const FIXTURE = join(ROOT, 'tests', 'fixtures', 'nix-2.8', 'log-daemon-root-dag-success.jsonl');

const ensure = (cmd: string, args: string[]): void => { spawnSync(cmd, args, { stdio: 'ignore' }); };
const gidOf = (group: string): number => Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);

describe('permission denied is said as such', () => {
  let dir = '';
  let server: Server | null = null;
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('run as root: the test creates a user and a group');
    ensure('groupadd', ['-f', GROUP]);
    ensure('useradd', ['-M', '-s', '/bin/sh', USER]);
    dir = mkdtempSync(join(tmpdir(), 'nix-btm-eacces-'));
    chmodSync(dir, 0o755);
    const control = join(dir, 'control.sock');
    server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server!.listen(control, r));
    chownSync(control, 0, gidOf(GROUP));
    chmodSync(control, 0o660);
  });
  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('nix-btm status as a user outside the group: exit 3, "ask to be added to group"', () => {
    const r = spawnSync('su', [USER, '-s', '/bin/sh', '-c', `env -u CI ${process.execPath} ${BIN} status --runtime-dir ${dir}`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain(`permission denied: ask to be added to group '${GROUP}'`);
    expect(r.stderr).not.toContain('start one');
  });
});

describe('a daemon started without --group is said to be so', () => {
  let dir = '';
  let server: Server | null = null;
  beforeAll(async () => {
    ensure('useradd', ['-M', '-s', '/bin/sh', USER]);
    dir = mkdtempSync(join(tmpdir(), 'nix-btm-eacces-0600-'));
    chmodSync(dir, 0o755);
    const control = join(dir, 'control.sock');
    server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server!.listen(control, r));
    chmodSync(control, 0o600); // as a daemon without --group makes it: root's alone
  });
  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const asUser = (args: string): ReturnType<typeof spawnSync> =>
    spawnSync('su', [USER, '-s', '/bin/sh', '-c', `env -u CI ${process.execPath} ${BIN} ${args}`], { encoding: 'utf8', timeout: 60_000 });

  it('status, history and run name the missing --group, not a group to join', () => {
    const status = asUser(`status --runtime-dir ${dir}`);
    expect(status.status, String(status.stderr)).toBe(3);
    expect(status.stderr).toContain("permission denied: the daemon's control socket is root's alone (mode 0600): its daemon was started without --group");
    expect(status.stderr).not.toContain('ask to be added to group');
    const history = asUser(`history --runtime-dir ${dir}`);
    expect(history.stderr).toContain('started without --group');
    const run = asUser(`run --as-is --runtime-dir ${dir} -- true`);
    expect(run.status, String(run.stderr)).toBe(0);
    expect(run.stderr).toContain('started without --group');
    expect(run.stderr).toContain('this build is not shown in the UI');
  });
});

describe('a closed pipe ends the output quietly', () => {
  it('replay --json | head -1: no stack trace, exit 0', () => {
    const r = spawnSync('bash', ['-c', `${process.execPath} ${BIN} replay --json ${FIXTURE} | head -1 >/dev/null; echo "rc=\${PIPESTATUS[0]}"`],
      { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toContain('rc=0');
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
  });
});
