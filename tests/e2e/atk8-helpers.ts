// Real unprivileged peers for tests/e2e/atk8-*.test.ts: users btm-atk8-a (the attacker) and btm-atk8-b (an honest
// user), both in btm-atk8-g (a daemon's --group), created once and kept; tests/e2e/attacks/atk8.mjs run as them.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../helpers.js';
import { ensureGroupMembers, uidOf } from './attacker.js';

export const GROUP = 'btm-atk8-g';
export const ATTACKER = 'btm-atk8-a';
export const HONEST = 'btm-atk8-b';

export function ensureUsers(): void {
  ensureGroupMembers(GROUP, [ATTACKER, HONEST]);
}

export { uidOf };

export type Peer = {
  readonly pid: number;
  /** Resolves with the first {"phase": phase} the peer printed. */
  reached(phase: string): Promise<Record<string, unknown>>;
  readonly done: Promise<Record<string, unknown>>;
  /** Ends the peer now (its connections close as a killed process's do). */
  kill(): void;
};

const dirs: string[] = [];

/** tests/e2e/attacks/atk8.mjs with `plan`, as `user` (its own uid and groups, through setpriv). */
export function peerAs(user: string, plan: Record<string, unknown>): Peer {
  const dir = mkdtempSync(join(tmpdir(), 'btm-atk8-'));
  dirs.push(dir);
  chmodSync(dir, 0o755);
  const script = join(dir, 'atk8.mjs');
  copyFileSync(join(root, 'tests/e2e/attacks/atk8.mjs'), script);
  chmodSync(script, 0o644);
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan), { mode: 0o644 });
  const child = spawn('setpriv', [`--reuid=${user}`, `--regid=${user}`, '--init-groups', process.execPath, script, join(dir, 'plan.json')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const seen: Record<string, unknown>[] = [];
  const waiting: { phase: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { err += c; });
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const m = JSON.parse(out.slice(0, nl)) as Record<string, unknown>;
      out = out.slice(nl + 1);
      seen.push(m);
      for (const w of waiting.filter((x) => x.phase === m.phase)) w.resolve(m);
    }
  });
  const done = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('close', (code) => {
      const last = seen.find((m) => m.phase === 'done');
      if ((code === 0 && last) || child.signalCode === 'SIGKILL') resolve(last ?? {}); else reject(new Error(`${user}'s peer exited ${code}: ${err}`));
    });
  });
  return {
    pid: child.pid ?? -1,
    // A peer that ended without reaching the phase rejects (with its stderr) instead of leaving the test waiting.
    reached: (phase) => {
      const hit = seen.find((m) => m.phase === phase);
      return hit ? Promise.resolve(hit) : Promise.race([new Promise<Record<string, unknown>>((resolve) => waiting.push({ phase, resolve })),
        done.then(() => { throw new Error(`${user}'s peer ended before ${phase}`); })]);
    },
    done,
    kill: () => { child.kill('SIGKILL'); },
  };
}

export function cleanPeers(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
