// Issue 15 away from a terminal: `nix-btm run` with stderr a pipe draws no widget and writes no escape code (plain
// progress lines, like nom in CI logs) while it still feeds a running nix-btm daemon; --quiet; and commands that do
// not take Nix's flags are refused with a clear message (or run as given with --as-is). Real Nix 2.8 builds.
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDir, nixBtm, startDaemon, startRun, stopAll, waitForStatus } from './daemon-helpers.js';
import { nixAvailable, nonce } from './nix-harness.js';

const EXPR = join(import.meta.dirname, 'widget.nix');
const build = (...args: string[]): string[] => ['nix-build', EXPR, '--argstr', 'nonce', nonce(), '--argstr', 'secs', '1', ...args, '--no-out-link'];

beforeAll(() => nixAvailable());
afterEach(stopAll);

describe('nix-btm run when stderr is not a terminal', () => {
  it('plain progress lines, no escape code, and the daemon running beside it shows the same build', async () => {
    const d = await startDaemon();
    const run = startRun(d.dir, build('--argstr', 'fail', 'leaf-c', '--keep-going'));
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('\u001b');
    expect(r.stderr).not.toMatch(/no daemon/);
    expect(r.stderr).toMatch(/^\[nix-btm\] ⏵ wdg-leaf-a started \(0\/6\)$/m);
    expect(r.stderr).toMatch(/^\[nix-btm\] ✔ wdg-mid built in \d+s \(\d\/6\)$/m);
    expect(r.stderr).toMatch(/^\[nix-btm\] ✘ wdg-leaf-c failed: builder failed with exit code 3 in \d+s \(\d\/6\)$/m);
    expect(r.stderr).toMatch(/^\[nix-btm\] ⊘ wdg-side cancelled: a dependency failed to build \(\d\/6\)$/m);
    expect(r.stderr).toMatch(/^error: builder for '\/nix\/store\/[0-9a-z]{32}-wdg-leaf-c\.drv' failed with exit code 3/m);
    expect(r.stderr).toContain('nix-btm: 3 built, 1 failed, 2 cancelled, 0 interrupted\nnix-btm: ✘ wdg-leaf-c: builder failed with exit code 3\n');
    // Nix's stdout is not ours when it is not the terminal: nothing there but what Nix printed (no output: it failed).
    expect(r.stdout).toBe('');
    const st = await waitForStatus(d.dir, (s) => s.jobs.some((j) => j.via === 'run' && j.status !== 'running'), 30_000, 'the fed job to end');
    const names = Object.fromEntries(st.derivations.map((x) => [x.name, x.status]));
    expect(names).toMatchObject({ 'wdg-leaf-a': 'built', 'wdg-leaf-b': 'built', 'wdg-mid': 'built', 'wdg-leaf-c': 'failed', 'wdg-side': 'cancelled', 'wdg-top': 'cancelled' });
  });

  it('--quiet: Nix\'s errors and the summary only; exit code and output path as Nix gave them', async () => {
    const dir = freshDir();
    const r = await startRun(dir, build(), { extra: ['--no-daemon', '--quiet'] }).done;
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('[nix-btm]');
    expect(r.stderr).not.toContain('\u001b');
    expect(r.stderr).toMatch(/nix-btm: 6 built, 0 failed, 0 cancelled, 0 interrupted\nnix-btm: took \d+s; slowest: /);
    expect(r.stdout.trim()).toMatch(/^\/nix\/store\/[0-9a-z]{32}-wdg-top$/);
  });
});

describe('signals', () => {
  it('SIGINT sent to the wrapper alone reaches Nix: it stops the build, and the wrapper exits with its code', async () => {
    const dir = freshDir();
    const run = startRun(dir, ['nix-build', EXPR, '--argstr', 'nonce', nonce(), '--argstr', 'secs', '30', '--no-out-link'], { extra: ['--no-daemon'] });
    let seen = '';
    run.child.stderr?.on('data', (c: Buffer) => { seen += c.toString(); });
    const t0 = Date.now();
    while (!/⏵ wdg-leaf-a started/.test(seen) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 100));
    // Only the wrapper's pid (startRun gives it its own process group; nix-build is not signalled by us).
    process.kill(run.child.pid!, 'SIGINT');
    const r = await run.done;
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.code).not.toBe(0);
    expect(r.signal).toBeNull();
    expect(r.stderr).toMatch(/error: interrupted by the user/);
    expect(r.stderr).toMatch(/nix-btm: 0 built, 0 failed, 0 cancelled, [1-9] interrupted/);
  });
});

describe('commands that are not Nix', () => {
  it('are refused with exit 2 and what to do instead, and nothing is run', () => {
    const r = nixBtm(['run', '--no-daemon', '--runtime-dir', freshDir(), '--', 'sh', '-c', 'touch /tmp/nix-btm-widget-ran-$$; echo ran']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("nix-btm: 'sh' is not a Nix command");
    expect(r.stderr).toContain('--as-is');
    expect(r.stderr).toContain('| nix-btm watch');
  });

  it('--as-is runs them unchanged and still reads the Nix log they print', () => {
    const script = `nix-build ${EXPR} --argstr nonce ${nonce()} --argstr secs 0 --no-out-link --log-format internal-json -v`;
    const r = nixBtm(['run', '--no-daemon', '--runtime-dir', freshDir(), '--as-is', '--', 'sh', '-c', script], { ...process.env, NIX_REMOTE: 'daemon' }, 120_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('nix-btm: 6 built, 0 failed, 0 cancelled, 0 interrupted');
    expect(r.stdout.trim()).toMatch(/^\/nix\/store\/[0-9a-z]{32}-wdg-top$/);
  });
});
