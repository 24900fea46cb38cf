// Bytes a program writes to its terminal: run under util-linux `script` (a pty; every byte the program writes is
// copied to a file) inside a tmux window of a fixed size, sampled by the file's size after a warm-up.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });

export type PtyRun = { readonly command: string; readonly env?: Record<string, string>; readonly columns: number; readonly rows: number };

/** Bytes written during `windowMs`, after `warmupMs` (the first full screen is not counted). */
export async function ptyBytes(run: PtyRun, warmupMs: number, windowMs: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'nix-btm-pty-'));
  const out = join(dir, 'typescript');
  const script = join(dir, 'run.sh');
  const env = Object.entries(run.env ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  const pidFile = join(dir, 'pid');
  // The program's pid (exec keeps it): tmux's SIGHUP on kill-session does not stop every program (a Node child, htop
  // outlived it and loaded the machine for the rest of the bench), so it is killed by pid at the end.
  writeFileSync(script, `#!/bin/sh\nunset CI\necho $$ > ${pidFile}\nexec env ${env} ${run.command}\n`, { mode: 0o755 });
  const session = `nix-btm-bench-${process.pid}-${Date.now()}`;
  try {
    tmux('new-session', '-d', '-s', session, '-x', String(run.columns), '-y', String(run.rows), `script -q -f -c ${script} ${out}`);
    await sleep(warmupMs);
    const before = statSync(out).size;
    await sleep(windowMs);
    return statSync(out).size - before;
  } finally {
    try { tmux('kill-session', '-t', session); } catch { /* gone already */ }
    try { process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL'); } catch { /* ended with its session */ }
    await sleep(200);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** htop, installed from Debian when missing (apt-get), as the bench and CI run it. */
export function ensureHtop(): string | null {
  const find = (): string | null => { try { return execFileSync('sh', ['-c', 'command -v htop'], { encoding: 'utf8' }).trim() || null; } catch { return null; } };
  const found = find();
  if (found) return found;
  try {
    execFileSync('apt-get', ['install', '-y', 'htop'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch { return null; }
  return find();
}
