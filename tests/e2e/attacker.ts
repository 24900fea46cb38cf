// Attacks as a real unprivileged user: users and a group created here (kept, prefixed btm-input-), the attacker
// script copied where that user can read it (a checkout may sit in a 0700 home), run through setpriv.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../helpers.js';

export const GROUP = 'btm-input-g';
export const ATTACKER = 'btm-input-a';
export const OTHER = 'btm-input-b';

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}
const exists = (db: 'passwd' | 'group', name: string): boolean => spawnSync('getent', [db, name]).status === 0;

/** A system group and system users in it, without homes or shells; idempotent (the users are kept). */
export function ensureGroupMembers(group: string, users: readonly string[]): void {
  if (!exists('group', group)) run('groupadd', ['--system', group]);
  for (const u of users) {
    if (!exists('passwd', u)) run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '-G', group, u]);
    // A user made elsewhere (by hand, another tool) without the group: added, or every attack would fail to connect.
    else if (!spawnSync('id', ['-nG', u], { encoding: 'utf8' }).stdout.split(/\s+/).includes(group)) run('usermod', ['-aG', group, u]);
  }
}

/** The group (for --group) and two members; idempotent. */
export function ensureUsers(): void {
  ensureGroupMembers(GROUP, [ATTACKER, OTHER]);
}

export const uidOf = (user: string): number => Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());

/** A script of tests/e2e/attacks/ running as a real user: it prints one JSON line per phase, the last {"phase":"done"}. */
export type Attack = {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the first {"phase": phase} it printed; rejects (with its stderr) if it ended before. */
  reached(phase: string): Promise<Record<string, unknown>>;
  /** Its "done" line; rejects when it exited otherwise (a SIGKILL from kill() resolves, with {} if it had no "done"). */
  readonly done: Promise<Record<string, unknown>>;
  /** Ends it now (its connections close as a killed process's do). */
  kill(): void;
};

const workDirs: string[] = [];

/**
 * Runs tests/e2e/attacks/<script> with `plan` as `user` (its own uid and groups, through setpriv; fd limit
 * `nofile` when given), copied with its plan into a directory that user can read.
 */
export function runScriptAs(user: string, script: string, plan: Record<string, unknown>, nofile?: number): Attack {
  const dir = mkdtempSync(join(tmpdir(), 'btm-attack-'));
  workDirs.push(dir);
  chmodSync(dir, 0o755);
  const copy = join(dir, script);
  copyFileSync(join(root, 'tests/e2e/attacks', script), copy);
  const planFile = join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify(plan));
  chmodSync(copy, 0o644);
  chmodSync(planFile, 0o644);
  const asUser = ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', process.execPath, copy, planFile];
  const [cmd, ...args] = nofile === undefined ? asUser : ['prlimit', `--nofile=${nofile}:${nofile}`, ...asUser];
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const seen: Record<string, unknown>[] = [];
  const waiting: { phase: string; resolve: (r: Record<string, unknown>) => void }[] = [];
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { err += c; });
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const msg = JSON.parse(out.slice(0, nl)) as Record<string, unknown>;
      out = out.slice(nl + 1);
      seen.push(msg);
      for (const w of waiting.filter((x) => x.phase === msg.phase)) w.resolve(msg);
    }
  });
  const done = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('close', (code) => {
      const last = seen.find((m) => m.phase === 'done');
      if ((code === 0 && last) || child.signalCode === 'SIGKILL') resolve(last ?? {});
      else reject(new Error(`${script} as ${user} exited ${code}: ${err}`));
    });
  });
  // A script that ended without reaching the phase rejects instead of leaving the test waiting.
  const reached = (phase: string): Promise<Record<string, unknown>> => {
    const hit = seen.find((m) => m.phase === phase);
    return hit ? Promise.resolve(hit) : Promise.race([new Promise<Record<string, unknown>>((resolve) => waiting.push({ phase, resolve })),
      done.then(() => { throw new Error(`${script} as ${user} ended before ${phase}`); })]);
  };
  return { child, pid: child.pid ?? -1, reached, done, kill: () => { child.kill('SIGKILL'); } };
}

/** Runs tests/e2e/attacks/attacker.mjs with `plan` as `user` (fd limit `nofile`). */
export function attackAs(user: string, plan: Record<string, unknown>, nofile = 1024): Attack {
  return runScriptAs(user, 'attacker.mjs', plan, nofile);
}

export function cleanAttacks(): void {
  for (const d of workDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Resident and peak resident memory of a process, in MiB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

export const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** The bound the issue set for the daemon's memory under every load it names. */
export const RSS_BOUND_MIB = 512;
