// The NixOS unit's capability set, for real: root limited to exactly the unit's CapabilityBoundingSet (setpriv, as
// systemd does for a root service) must read a build user's /proc/PID/environ, or no builder is ever tied. The set
// is read from nix/module.nix itself, so the test follows the module. Builders come from Nix 2.8's daemon.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hello } from '../../src/client/daemon-client.js';
import { pathsIn } from '../../src/protocol/paths.js';
import { BIN, freshDir, sleep, startRun, stopAll, waitForStatus } from './daemon-helpers.js';
import { buildDrv, nixAvailable, nonce, tinyExprSource, writeExpr } from './nix-harness.js';
import { root } from '../helpers.js';
import { buildChildren, cleanChildren, spawnChild } from '../ring/helpers.js';
import { logClient, write, closeSocket, within } from './daemon-helpers.js';

/** CapabilityBoundingSet of the unit in nix/module.nix, as setpriv names them (cap_kill -> kill). */
function unitCapabilities(): string[] {
  const module = readFileSync(join(root, 'nix/module.nix'), 'utf8');
  const block = /CapabilityBoundingSet = \[([\s\S]*?)\];/.exec(module)?.[1];
  if (block === undefined) throw new Error('no CapabilityBoundingSet in nix/module.nix');
  return [...block.matchAll(/"CAP_([A-Z_]+)"/g)].map((m) => m[1]!.toLowerCase());
}

const limited = (caps: readonly string[]): string[] =>
  ['setpriv', '--no-new-privs', '--inh-caps=-all', `--bounding-set=-all,${caps.map((c) => `+${c}`).join(',')}`];

beforeAll(() => nixAvailable());

/** A daemon in `dir` limited to exactly the unit's bounding set, as [command, args] for spawn. */
function limitedDaemon(dir: string): [string, string[]] {
  const argv = [...limited(unitCapabilities()), process.execPath, BIN, 'daemon', '--runtime-dir', dir, '--refresh', '250',
    '--history', join(dir, 'history.sqlite'), '--no-import-nom'];
  return [argv[0]!, argv.slice(1)];
}

async function answering(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try { await hello(pathsIn(dir).control, 1000); return; } catch { if (i > 200) throw new Error('the limited daemon did not answer'); }
    await sleep(50);
  }
}
afterEach(async () => { await stopAll(); });

/** A sleeping builder of Nix 2.8's daemon (a nixbld user); resolves with its pid once it runs. */
async function sleepingBuilder(): Promise<{ pid: number; stop: () => void }> {
  const expr = writeExpr(freshDir('nix-btm-caps-'), tinyExprSource('nix-btm-caps-probe', 30));
  const b = buildDrv({ expr, args: { nonce: nonce() }, daemon: true });
  for (let i = 0; i < 400; i++) {
    const r = spawnSync('pgrep', ['-f', '-u', 'nixbld1,nixbld2,nixbld3,nixbld4,nixbld5,nixbld6,nixbld7,nixbld8', 'nix-btm-caps-probe'], { encoding: 'utf8' });
    const pid = Number(r.stdout.trim().split('\n')[0]);
    if (pid > 0) return { pid, stop: () => b.child.kill('SIGINT') };
    await sleep(50);
  }
  b.child.kill('SIGINT');
  throw new Error('no builder appeared');
}

describe("the NixOS unit's capabilities", () => {
  it('the module names CAP_DAC_READ_SEARCH: without it root is denied a build user’s /proc/PID/environ and fd', async () => {
    const caps = unitCapabilities();
    expect(caps).toContain('dac_read_search');
    const builder = await sleepingBuilder();
    try {
      const without = caps.filter((c) => c !== 'dac_read_search');
      const denied = spawnSync(limited(without)[0]!, [...limited(without).slice(1), 'cat', `/proc/${builder.pid}/environ`], { encoding: 'utf8' });
      expect(denied.status).not.toBe(0);
      expect(denied.stderr).toMatch(/Permission denied/);
      const deniedFd = spawnSync(limited(without)[0]!, [...limited(without).slice(1), 'ls', `/proc/${builder.pid}/fd`], { encoding: 'utf8' });
      expect(deniedFd.stderr).toMatch(/Permission denied/);
      const allowed = spawnSync(limited(caps)[0]!, [...limited(caps).slice(1), 'cat', `/proc/${builder.pid}/environ`], { encoding: 'utf8' });
      expect(allowed.status, allowed.stderr).toBe(0);
      expect(allowed.stdout).toContain('NIX_BUILD_TOP=');
    } finally {
      builder.stop();
    }
  });

  it('the daemon run with exactly the unit’s bounding set ties a real builder to its derivation', async () => {
    const dir = freshDir();
    const daemon = spawn(...limitedDaemon(dir), { stdio: 'ignore' });
    try {
      await answering(dir);
      const expr = writeExpr(freshDir('nix-btm-caps-'), tinyExprSource('nix-btm-caps-tied', 4));
      const run = startRun(dir, ['nix-build', expr, '--argstr', 'nonce', nonce(), '--no-out-link']);
      const s = await waitForStatus(dir, (x) => x.processes.some((p) => p.role === 'builder' && p.drvPath !== null
        && x.derivations.some((d) => d.drvPath === p.drvPath && d.name === 'nix-btm-caps-tied')), 60_000, 'a tied builder');
      expect(s.processes.find((p) => p.role === 'builder' && p.drvPath !== null)?.user).toMatch(/^nixbld\d+$/);
      expect((await run.done).code).toBe(0);
    } finally {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.once('exit', r));
    }
  });

  it('root’s UI is woken through its wake FIFO by the daemon run with exactly the unit’s bounding set (no CAP_DAC_OVERRIDE)', async () => {
    const out = buildChildren();
    const dir = freshDir();
    chmodSync(dir, 0o755);
    const daemon = spawn(...limitedDaemon(dir), { stdio: 'ignore' });
    try {
      await answering(dir);
      const reader = spawnChild(out, 'wake-client', { control: pathsIn(dir).control, mode: 'read', count: 3 });
      try {
        const ready = await within(reader.message<{ ready?: boolean; wait?: string }>((m) => m.ready === true), 20_000, 'root’s reader');
        expect(ready.wait).toBe('fifo');
        const log = await logClient(dir);
        const start = (id: number): string => `@nix ${JSON.stringify({ action: 'start', id, level: 3, type: 0, text: `caps ${id}`, fields: [], parent: 0 })}\n`;
        for (let i = 0; i < 3; i++) await write(log, start(200 + i));
        await closeSocket(log);
        const { result } = await within(reader.message<{ result?: { records: number; fifoWakes: number } }>((m) => m.result !== undefined),
          20_000, 'records through the FIFO');
        // The daemon's bytes woke it (a FIFO it could not open would leave only the reader's 250 ms timer).
        expect(result?.fifoWakes).toBeGreaterThan(0);
      } finally {
        reader.process.kill('SIGKILL');
      }
    } finally {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.once('exit', r));
      cleanChildren(out);
    }
  });
});
