// `status` and `run` when no daemon answers: a clear message and exit code 3 for status; run still runs Nix.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDir, nixBtm, startRun, stopAll } from './daemon-helpers.js';
import { nixAvailable, nonce, storePathValid, tinyExprSource, writeExpr } from './nix-harness.js';

afterEach(stopAll);

describe('status without a daemon', () => {
  it('exits 3 and says no daemon answers, naming the dir and how to start one', () => {
    const dir = freshDir();
    const r = nixBtm(['status', '--json', '--runtime-dir', dir]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`no nix-btm daemon answers in ${dir}`);
    expect(r.stderr).toContain("start one with 'nix-btm daemon'");
  });
});

describe('run without a daemon', () => {
  beforeAll(() => nixAvailable());

  it('starts one and says so: its command line and log (it has the defaults, not the options of an earlier one)', async () => {
    const dir = freshDir();
    const expr = writeExpr(join(dir, 'expr'), tinyExprSource('nix-btm-e2e-autostart'));
    const run = startRun(dir, ['nix-build', expr, '--argstr', 'nonce', nonce(), '--no-out-link']);
    try {
      const r = await run.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`nix-btm: none answered, so started a daemon: nix-btm daemon --runtime-dir ${dir} (default options;`);
      expect(r.stderr).toContain(`log ${join(dir, 'daemon.log')}`);
      expect(existsSync(join(dir, 'control.sock'))).toBe(true);
    } finally {
      const pid = Number(readFileSync(join(dir, 'daemon.pid'), 'utf8').trim());
      if (pid > 0) process.kill(pid, 'SIGTERM');
    }
  });
});

describe('run --no-daemon without a daemon', () => {
  beforeAll(() => nixAvailable());

  it('still runs Nix, passes its exit code 0, and starts no daemon', async () => {
    const dir = freshDir();
    const expr = writeExpr(join(dir, 'expr'), tinyExprSource('nix-btm-e2e-nodaemon'));
    const run = startRun(dir, ['nix-build', expr, '--argstr', 'nonce', nonce(), '--no-out-link'], { extra: ['--no-daemon'] });
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no daemon');
    expect(r.stderr).toContain('this build is not shown in the UI');
    const out = r.stdout.trim();
    expect(out).toMatch(/^\/nix\/store\/[0-9a-z]{32}-nix-btm-e2e-nodaemon$/);
    expect(storePathValid(out)).toBe(true);
    expect(existsSync(join(dir, 'control.sock'))).toBe(false);
  });

  it("passes a failing Nix's exit code on", async () => {
    const dir = freshDir();
    const expr = join(dir, 'fails.nix');
    writeFileSync(expr, `builtins.derivation { name = "nix-btm-e2e-fails"; system = builtins.currentSystem;
      builder = "/bin/sh"; args = [ "-c" "echo ${nonce()}; exit 3" ]; }\n`);
    const run = startRun(dir, ['nix-build', expr, '--no-out-link'], { extra: ['--no-daemon'] });
    const r = await run.done;
    // Through the nix-daemon a failed build makes nix-build exit 1 (the daemon does not pass 100 on).
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/builder for '\/nix\/store\/[0-9a-z]{32}-nix-btm-e2e-fails\.drv' failed with exit code 3/);
    expect(existsSync(join(dir, 'control.sock'))).toBe(false);
  });

  it('exits 127 when the command cannot be run at all', async () => {
    const dir = freshDir();
    // --as-is: a name that is not a Nix command is otherwise refused before anything runs (issue 15).
    const r = await startRun(dir, ['nix-btm-no-such-program-xyz'], { extra: ['--no-daemon', '--as-is'] }).done;
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('cannot run nix-btm-no-such-program-xyz: ENOENT');
  });
});
