// Shared by the ring tests: runs the TypeScript in children/ (and the src/ring it imports) as plain-node child
// processes. Each test file transpiles the current sources once, so children never run a stale dist/ build. The
// output goes to a fresh directory under the system temp dir, with its own package.json and a copy of the addon,
// because children may run as another user, who cannot reach into a checkout under a 0700 home (or mktemp -d).
import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function transpileDir(srcDir: string, outRoot: string): void {
  for (const name of readdirSync(srcDir)) {
    if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
    const file = join(srcDir, name);
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const out = join(outRoot, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
}

const ADDON = join('build', 'Release', 'nix_btm_native.node');

/** Transpiles src/ring, src/addon and tests/ring/children; returns the output root (remove it with cleanChildren). */
export function buildChildren(): string {
  const outRoot = mkdtempSync(join(tmpdir(), 'nix-btm-ring-tests-'));
  // packageRoot() (src/addon/) stops at this package.json and loads the addon copied next to it.
  writeFileSync(join(outRoot, 'package.json'), '{"name":"nix-btm","type":"module"}\n');
  mkdirSync(join(outRoot, dirname(ADDON)), { recursive: true, mode: 0o755 });
  copyFileSync(join(ROOT, ADDON), join(outRoot, ADDON));
  for (const sub of ['src/ring', 'src/addon', 'tests/ring/children']) transpileDir(join(ROOT, sub), outRoot);
  openToAll(outRoot);
  return outRoot;
}

/** Directories 0755, files 0644 (the addon 0755), whatever this user's umask. */
function openToAll(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) openToAll(path);
    else chmodSync(path, entry.name.endsWith('.node') ? 0o755 : 0o644);
  }
}

export function cleanChildren(outRoot: string): void {
  rmSync(outRoot, { recursive: true, force: true });
}

/** A fresh directory for ring files (on /dev/shm when it exists, like the daemon). */
export function ringDir(): string {
  let base = tmpdir();
  try {
    readdirSync('/dev/shm');
    base = '/dev/shm';
  } catch {
    // no /dev/shm: the temp dir works the same
  }
  return mkdtempSync(join(base, 'nix-btm-ring-test-'));
}

/** A child process running tests/ring/children/<name>.ts, talking over the IPC channel. */
export type Child = {
  readonly process: ChildProcess;
  readonly stderr: () => string;
  /** Resolves with the first message satisfying pred (messages seen earlier count too). */
  readonly message: <T>(pred: (m: T) => boolean) => Promise<T>;
  readonly send: (m: unknown) => void;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/** Runs tests/ring/children/<name>.ts (transpiled into outRoot) with its options as JSON in argv[2]. */
export function spawnChild(outRoot: string, name: string, options: unknown, as?: { uid: number; gid: number }): Child {
  const script = join(outRoot, 'tests', 'ring', 'children', `${name}.js`);
  const proc = fork(script, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], ...as });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const seen: unknown[] = [];
  const waiters = new Set<(m: unknown) => void>();
  proc.on('message', (m) => {
    seen.push(m);
    for (const w of [...waiters]) w(m);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  // 'exit' may come before the last messages have been read from the IPC channel (both arrive in the same turn of
  // the event loop, in either order: the hammer's "reader exited (0) first"); 'close' comes after the channel ended.
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal }));
  });
  const message = <T>(pred: (m: T) => boolean): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const hit = seen.find((m) => pred(m as T));
      if (hit !== undefined) return resolve(hit as T);
      const w = (m: unknown): void => {
        if (!pred(m as T)) return;
        waiters.delete(w);
        resolve(m as T);
      };
      waiters.add(w);
      void closed.then(({ code, signal }) => {
        if (waiters.delete(w)) reject(new Error(`${name} exited (${code ?? signal}) first; stderr: ${err}`));
      });
    });
  const send = (m: unknown): void => {
    if (proc.connected) proc.send(m as Parameters<ChildProcess['send']>[0]);
  };
  return { process: proc, stderr: () => err, message, send, exit };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
