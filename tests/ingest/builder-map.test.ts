import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  builderDrvName, builderOutputPaths, createBuilderTies, parseEnviron, readEnviron, tieBuilder, type DrvCandidate,
} from '../../src/ingest/builder-map.js';
import { readDrv } from '../../src/ingest/drv-file.js';
import { createProcScanner } from '../../src/ingest/proc-scan.js';
import { captureSection, killAll, readCapture, start, until, which } from './proc-helpers.js';
import { asRoot } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'btm-builder-'));
afterEach(killAll);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The builder's environ as captured (one VAR=value a line), back in /proc's NUL-separated form. */
function capturedEnviron(file: string, pid: number): Map<string, string> {
  return parseEnviron(captureSection(readCapture(file), `/proc/${pid}/environ:`).join('\0') + '\0');
}

/** Every drv the real log names: what the daemon knows from Build activities alone (outputs unknown). */
function drvsOfLog(file: string): DrvCandidate[] {
  const paths = new Set(readCapture(file).match(/\/nix\/store\/[a-z0-9]{32}-[^"'!\s]+\.drv/g) ?? []);
  return [...paths].map((drvPath) => ({ drvPath, outputs: null, name: drvPath.slice(44, -4) }));
}

describe('parseEnviron and the builder facts', () => {
  const env = capturedEnviron('environ-daemon-root-dag-success-1-pid16231.txt', 16231);

  it('reads the real builder environment', () => {
    expect(env.get('name')).toBe('bzip2-1.0.8');
    expect(env.get('NIX_BUILD_TOP')).toBe('/tmp/nix-build-bzip2-1.0.8.drv-0');
    expect(builderOutputPaths(env)).toEqual(['/nix/store/q9amvcmdrlbx6sijwfjpf5qvrladii5y-bzip2-1.0.8']);
    expect(builderDrvName(env)).toBe('bzip2-1.0.8.drv');
  });

  it('keeps values with "=" and NUL-free oddities', () => {
    const e = parseEnviron(Buffer.from('A=b=c\0NOEQ\0A=second\0EMPTY=\0'));
    expect([...e]).toEqual([['A', 'b=c'], ['NOEQ', ''], ['EMPTY', '']]);
  });

  it('lists every output of a multi-output builder', () => {
    const multi = parseEnviron('outputs=out dev\0out=/nix/store/a-x\0dev=/nix/store/b-x-dev\0');
    expect(builderOutputPaths(multi)).toEqual(['/nix/store/a-x', '/nix/store/b-x-dev']);
  });
});

describe('tieBuilder', () => {
  it('ties the real daemon-run builder to its drv by the build dir name, among the run\'s 16 drvs', () => {
    const env = capturedEnviron('environ-daemon-root-dag-success-1-pid16231.txt', 16231);
    // Started by the stream of the worker the builder runs under (its parent): the name is enough.
    const candidates = drvsOfLog('log-daemon-root-dag-success.jsonl').map((c) => ({ ...c, owners: [16200] }));
    expect(candidates.length).toBeGreaterThanOrEqual(16);
    expect(tieBuilder(env, candidates, new Set([16200, 900]))).toBe('/nix/store/4w6849x9465l0z2nfcrhsgzhh0qkcy6j-bzip2-1.0.8.drv');
  });

  it('ties by name alone only to a build of a process above the builder (another user\'s same-name build is not it)', () => {
    const env = capturedEnviron('environ-daemon-root-dag-success-1-pid16231.txt', 16231);
    // The logged build of the same name, outputs not read yet, started by a client that is not the builder's parent:
    // the builder may be another user's build that no log names.
    const logged = { drvPath: '/nix/store/4w6849x9465l0z2nfcrhsgzhh0qkcy6j-bzip2-1.0.8.drv', name: 'bzip2-1.0.8', outputs: null, owners: [5000] };
    expect(tieBuilder(env, [logged], new Set([16200, 900]))).toBeNull();
    expect(tieBuilder(env, [{ ...logged, owners: [] }], new Set([16200]))).toBeNull();
    expect(tieBuilder(env, [{ ...logged, owners: undefined }])).toBeNull();
    // Its outputs read: the output match decides, whoever started it.
    expect(tieBuilder(env, [{ ...logged, outputs: { out: env.get('out') ?? '' } }], new Set())).toBe(logged.drvPath);
    expect(tieBuilder(env, [{ ...logged, outputs: { out: '/nix/store/q9amvcmdrlbx6sijwfjpf5qvrladii5z-bzip2-1.0.8' } }], new Set([5000]))).toBeNull();
  });

  it('prefers an output match, and leaves out same-name drvs whose outputs differ', () => {
    const env = capturedEnviron('environ-singleuser-dag-success-1-pid5020.txt', 5020);
    const other = { drvPath: '/nix/store/4w6849x9465l0z2nfcrhsgzhh0qkcy6j-bzip2-1.0.8.drv', name: 'bzip2-1.0.8',
      outputs: { out: '/nix/store/q9amvcmdrlbx6sijwfjpf5qvrladii5y-bzip2-1.0.8' } };
    const mine = { drvPath: '/nix/store/qkl6czwiwhjai7g20wdpjzhx0lj16x6z-bzip2-1.0.8.drv', name: 'bzip2-1.0.8', outputs: null, owners: [5019] };
    expect(tieBuilder(env, [other, mine], new Set([5019]))).toBe(mine.drvPath);
    const known = { ...mine, outputs: { out: env.get('out') ?? '' } };
    expect(tieBuilder(env, [{ ...other, outputs: null }, known])).toBe(known.drvPath);
  });

  it('says null when the name is ambiguous or unknown', () => {
    const env = capturedEnviron('environ-singleuser-dag-success-1-pid5020.txt', 5020);
    const a = { drvPath: '/nix/store/4w6849x9465l0z2nfcrhsgzhh0qkcy6j-bzip2-1.0.8.drv', name: 'bzip2-1.0.8', outputs: null, owners: [5019] };
    const b = { ...a, drvPath: '/nix/store/qkl6czwiwhjai7g20wdpjzhx0lj16x6z-bzip2-1.0.8.drv' };
    expect(tieBuilder(env, [a, b], new Set([5019]))).toBeNull();
    expect(tieBuilder(env, [])).toBeNull();
    expect(tieBuilder(new Map(), [a])).toBeNull();
  });

  it('falls back to `name` when the build dir is a sandbox path', () => {
    const env = parseEnviron('NIX_BUILD_TOP=/build\0name=hello-2.12\0out=/nix/store/8w6849x9465l0z2nfcrhsgzhh0qkcy6j-hello-2.12\0');
    const c = { drvPath: '/nix/store/4w6849x9465l0z2nfcrhsgzhh0qkcy6j-hello-2.12.drv', name: 'hello-2.12', outputs: null, owners: [42] };
    expect(tieBuilder(env, [c], new Set([42]))).toBe(c.drvPath);
  });
});

describe('readEnviron and the tie cache on real processes', () => {
  it('reads a real process\'s environ, and null once it is gone', async () => {
    const child = start('sleep', ['30'], { env: { NIX_BUILD_TOP: '/tmp/nix-build-a.drv-0', out: '/nix/store/x-a' } });
    const env = await until(() => readEnviron(child.pid ?? 0) ?? undefined);
    expect(env?.get('NIX_BUILD_TOP')).toBe('/tmp/nix-build-a.drv-0');
    killAll();
    expect(await until(() => (readEnviron(child.pid ?? 0) === null ? true : undefined))).toBe(true);
  });

  it('reads environ once per pid and start, and retries the tie until a candidate appears', () => {
    let reads = 0;
    const ties = createBuilderTies(() => {
      reads++;
      return parseEnviron('NIX_BUILD_TOP=/tmp/nix-build-a.drv-0\0out=/nix/store/x-a\0');
    });
    const known: DrvCandidate[] = [];
    expect(ties.tie(7, 1000, () => known)).toBeNull();
    known.push({ drvPath: '/nix/store/00000000000000000000000000000000-a.drv', outputs: null, name: 'a', owners: [6] });
    // Named by a stream of a process that is not above the builder: not yet (its outputs will tell).
    expect(ties.tie(7, 1000, () => known, new Set([5]))).toBeNull();
    expect(ties.tie(7, 1000, () => known, new Set([6]))).toBe(known[0]?.drvPath);
    expect(reads).toBe(1);
    ties.tie(7, 2000, () => known);
    expect(reads).toBe(2);
    ties.prune(new Set());
    expect(ties.environ(7)).toBeNull();
  });
});

const canBuild = which('nix-store') && which('nix-instantiate') &&
  asRoot('a real Nix build tied to its .drv: reads the builder\'s /proc/PID/environ, which only root may');

describe.runIf(canBuild)('a real Nix build', () => {
  it('finds the client, the builder and its child, and ties them to the .drv', async () => {
    const nonce = `btm-${process.pid}-${Date.now()}`;
    const nixFile = join(tmp, 'sleeper.nix');
    writeFileSync(nixFile, `builtins.derivation { name = "btm-sleeper"; nonce = "${nonce}"; system = builtins.currentSystem;
      PATH = "/usr/bin:/bin"; builder = "/bin/sh"; args = [ "-c" "sleep 30 & wait; echo > $out" ]; }`);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root' };
    const drvPath = spawnSync('nix-instantiate', [nixFile], { encoding: 'utf8', env }).stdout.trim();
    const drv = await readDrv(drvPath);
    if (!drv.ok) throw new Error(drv.reason);
    const client = start('nix-store', ['--realise', drvPath], { env });
    const scanner = createProcScanner({ nixVersion: null, drvCandidates: () => [drv.info] });
    const found = await until(() => {
      const list = scanner.scan(Date.now()).processes;
      const b = list.find((p) => p.role === 'builder' && scanner.environ(p.pid)?.get('nonce') === nonce);
      const kid = b && list.find((p) => p.ppid === b.pid && p.command === 'sleep 30');
      return b && kid ? { list, b, kid } : undefined;
    }, 200);
    expect(found?.b).toMatchObject({ drvPath, user: expect.stringMatching(/^nixbld\d+$/) });
    expect(found?.kid).toMatchObject({ role: 'builder-child', drvPath });
    // Single-user (root, local store): the builder's parent is the client; through a daemon it is a worker.
    const parent = found?.list.find((p) => p.pid === found.b.ppid);
    expect(['client', 'daemon-worker']).toContain(parent?.role);
    expect(scanner.environ(found?.b.pid ?? 0)?.get('NIX_BUILD_TOP')).toMatch(/nix-build-btm-sleeper\.drv-\d+$/);
    // Interrupted, Nix kills its build user's processes itself; whatever is left goes with the builder's group.
    const exited = new Promise((resolve) => client.once('exit', resolve));
    if (client.pid) process.kill(client.pid, 'SIGINT');
    await Promise.race([exited, until(() => undefined, 100)]);
    if (found) {
      try { process.kill(-found.b.pgid, 'SIGKILL'); } catch { /* already gone */ }
    }
  });
});
