// Finding a daemon, and starting one in the background when none answers (so several UIs share one daemon).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../addon/package-root.js';
import { hello } from './daemon-client.js';
import { defaultRuntimeDir, pathsIn, SYSTEM_RUNTIME_DIR } from '../protocol/paths.js';

/** Explicit choice, else the system daemon's dir if it runs, else this user's own. */
export function clientRuntimeDir(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.NIX_BTM_RUNTIME_DIR) return process.env.NIX_BTM_RUNTIME_DIR;
  if (existsSync(pathsIn(SYSTEM_RUNTIME_DIR).control)) return SYSTEM_RUNTIME_DIR;
  return defaultRuntimeDir();
}

export type Ensured = { readonly runtimeDir: string; readonly startedByUs: boolean };

export async function ensureDaemon(runtimeDir: string, waitMs = 10_000): Promise<Ensured> {
  const control = pathsIn(runtimeDir).control;
  const first = await probe(control);
  if (first === 'yes') return { runtimeDir, startedByUs: false };
  // A daemon is there but this user may not talk to it: starting another in its directory could only fail.
  if (typeof first === 'object') throw first;
  const bin = join(packageRoot(), 'bin', 'nix-btm');
  const child = spawn(process.execPath, [bin, 'daemon', '--runtime-dir', runtimeDir], { detached: true, stdio: 'ignore' });
  child.unref();
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (await answers(control)) return { runtimeDir, startedByUs: true };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`started a nix-btm daemon but it does not answer on ${control}: see ${pathsIn(runtimeDir).logFile}`);
}

async function answers(control: string): Promise<boolean> {
  return (await probe(control)) === 'yes';
}

/** 'yes', 'no', or the EACCES/EPERM error of a socket this user may not connect to. */
async function probe(control: string): Promise<'yes' | 'no' | NodeJS.ErrnoException> {
  if (!existsSync(control)) return 'no';
  try {
    await hello(control);
    return 'yes';
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.code === 'EACCES' || e.code === 'EPERM' ? e : 'no';
  }
}
