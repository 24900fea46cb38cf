// Issue 14, "anyone can forge build outcomes": a real unprivileged user (btm-truth-a, created here) writes to a real
// root daemon's log socket while root's real Nix 2.8 build runs: a Build start naming root's derivation, log lines
// for it, "builder for '<drv>' failed", "dependencies of derivation '<drv>' failed". A source may only affect what
// it started: root's build keeps running, takes none of the lines, and ends built, as the store says.
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDir, startDaemon, startRun, stopAll, waitForStatus } from './daemon-helpers.js';
import { nixAvailable, nonce, storePathValid, tinyExprSource, writeExpr } from './nix-harness.js';

const ATTACKER = 'btm-truth-a';

beforeAll(() => {
  nixAvailable();
  if (spawnSync('id', [ATTACKER]).status !== 0) {
    const r = spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', ATTACKER], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`useradd ${ATTACKER}: ${r.stderr}`);
  }
});
afterEach(stopAll);

/** The attacker's writer: connects to the socket like a Nix process and sends `lines`, then closes. */
function attack(socket: string, lines: readonly string[]): { status: number | null; stderr: string } {
  const dir = freshDir('nix-btm-forge-');
  chmodSync(dir, 0o755);
  const script = join(dir, 'forge.mjs');
  writeFileSync(script, `import { connect } from 'node:net';
const s = connect(${JSON.stringify(socket)});
s.on('connect', () => s.end(${JSON.stringify(lines.join('\n') + '\n')}));
s.on('close', () => process.exit(0));
s.on('error', (e) => { console.error(e.message); process.exit(3); });
`, { mode: 0o644 });
  const r = spawnSync('setpriv', [`--reuid=${ATTACKER}`, `--regid=${ATTACKER}`, '--clear-groups', process.execPath, script],
    { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr };
}

describe('forged outcomes on the log socket', () => {
  it('an unprivileged user cannot fail, cancel or write into root’s running build', async () => {
    const d = await startDaemon();
    chmodSync(d.dir, 0o755); // as on a real machine (/run/nix-btm): every Nix process must reach nix-log.sock
    const exprs = freshDir('nix-btm-expr-');
    const expr = writeExpr(exprs, tinyExprSource('nix-btm-truth-victim', 8));
    const run = startRun(d.dir, ['nix-build', expr, '--argstr', 'nonce', nonce(), '--no-out-link']);
    const mid = await waitForStatus(d.dir, (s) => s.derivations.some((x) => x.name === 'nix-btm-truth-victim' && x.status === 'running'),
      60_000, 'root’s build running');
    const drvPath = mid.derivations.find((x) => x.name === 'nix-btm-truth-victim')!.drvPath;
    const r = attack(d.paths.nixLog, [
      JSON.stringify({ action: 'start', id: 4242, level: 3, type: 105, text: `building '${drvPath}'`, parent: 0, fields: [drvPath, '', 1, 1] }),
      JSON.stringify({ action: 'result', id: 4242, type: 101, fields: ['FORGED LINE from the attacker'] }),
      JSON.stringify({ action: 'result', id: 4242, type: 104, fields: ['forgedPhase'] }),
      JSON.stringify({ action: 'msg', level: 0, msg: `error: builder for '${drvPath}' failed with exit code 1` }),
      JSON.stringify({ action: 'msg', level: 0, msg: `error: 1 dependencies of derivation '${drvPath}' failed to build` }),
      JSON.stringify({ action: 'stop', id: 4242 }),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const uid = Number(spawnSync('id', ['-u', ATTACKER], { encoding: 'utf8' }).stdout.trim());
    const forged = await waitForStatus(d.dir, (s) => s.sources.some((x) => x.uid === uid && x.status !== 'running'), 20_000, 'the attacker’s source closed');
    const victim = forged.derivations.find((x) => x.drvPath === drvPath)!;
    expect(victim.status).toBe('running');
    expect(victim.phase).not.toBe('forgedPhase');
    expect(victim.logTail.some((l) => l.includes('FORGED'))).toBe(false);
    const result = await run.done;
    expect(result.code).toBe(0);
    const end = await waitForStatus(d.dir, (s) => s.jobs.every((j) => j.status !== 'running'), 30_000, 'every job closed');
    const out = spawnSync('nix-store', ['-q', '--outputs', drvPath], { encoding: 'utf8' }).stdout.trim();
    expect(storePathValid(out)).toBe(true);
    expect(end.derivations.find((x) => x.drvPath === drvPath)).toMatchObject({ status: 'built', exitCode: null });
    expect(end.derivations.find((x) => x.drvPath === drvPath)?.logTail.some((l) => l.includes('FORGED'))).toBe(false);
  });
});
