// Shared by the ingest tests: real child processes (always killed), and readers for the real Nix 2.8 captures.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

const started: ChildProcess[] = [];

/** A detached child (its own session and process group), killed with its whole group by killAll(). */
export function start(cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true, ...opts });
  started.push(child);
  return child;
}

export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function killAll(): void {
  for (const c of started.splice(0)) killGroup(c);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value (not undefined) or `tries` run out; never a timing assertion. */
export async function until<T>(probe: () => T | undefined, tries = 100, everyMs = 50): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await sleep(everyMs);
  }
  return undefined;
}

export function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** uid of a user in /etc/passwd, or null. */
export function uidOf(user: string): { uid: number; gid: number } | null {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user) return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

/** One `### title` section of an environ-*.txt capture, its lines without the heading. */
export function captureSection(text: string, title: string): string[] {
  const at = text.split('\n').findIndex((l) => l.startsWith(`### ${title}`));
  if (at < 0) return [];
  const rest = text.split('\n').slice(at + 1);
  const end = rest.findIndex((l) => l.startsWith('### '));
  return (end < 0 ? rest : rest.slice(0, end)).filter((l) => l !== '');
}

export function readCapture(file: string): string {
  return readFileSync(join(FIXTURES, 'nix-2.8', file), 'utf8');
}
