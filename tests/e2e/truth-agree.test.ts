// Issue 9, "done when": on real Nix 2.8 runs, replay (with the store check), `nix-btm status` (the daemon fed the
// same log), the terminal summary of `nix-btm feed`/`run`, the UI's Jobs rows and Nix's own exit code agree.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hello } from '../../src/client/daemon-client.js';
import { jobRows } from '../../src/ui/rows-jobs.js';
import { BIN, freshDir, startDaemon, startRun, stopAll, waitForStatus } from './daemon-helpers.js';
import { nixAvailable, nonce } from './nix-harness.js';
import { root } from '../helpers.js';

const EXPR = join(root, 'tests/fixtures/captures/nix/truth.nix');
beforeAll(() => nixAvailable());
afterEach(stopAll);

type ReplayDoc = { derivations: { name: string; status: string; confirmed: boolean; basis: string | null }[]; storeCheck: { on: boolean } };
const statuses = (ds: readonly { name: string; status: string }[]): Record<string, string> => Object.fromEntries(ds.map((d) => [d.name, d.status]));

describe('every view agrees with Nix', () => {
  it('pair (--keep-going: two failures and a success in one second): replay, status, feed, run, UI rows, exit code', async () => {
    const d = await startDaemon();
    const dir = freshDir('nix-btm-agree-');
    const log = join(dir, 'build.log');
    const args = [EXPR, '--argstr', 'scenario', 'pair', '--argstr', 'nonce', nonce(), '--no-out-link', '--keep-going'];
    const nix = spawnSync('nix-build', [...args, '--log-format', 'internal-json', '-v'], { env: { ...process.env, NIX_REMOTE: 'daemon' }, encoding: 'utf8', timeout: 120_000 });
    writeFileSync(log, nix.stderr);
    expect(nix.status).toBe(1);
    const want = { 'twin-x': 'failed', 'twin-y': 'failed', 'twin-z': 'built', knot: 'cancelled' };

    const replayed = JSON.parse(spawnSync(process.execPath, [BIN, 'replay', '--json', log], { encoding: 'utf8' }).stdout) as ReplayDoc;
    expect(statuses(replayed.derivations)).toEqual(want);
    expect(replayed.storeCheck.on).toBe(true);
    expect(replayed.derivations.every((x) => x.confirmed)).toBe(true);

    const fed = spawnSync(process.execPath, [BIN, 'feed', '--runtime-dir', d.dir, '--command-name', 'pair'], { input: readFileSync(log), encoding: 'utf8', timeout: 60_000 });
    expect(fed.stderr).toContain('nix-btm: 1 built, 2 failed, 1 cancelled, 0 interrupted');
    const st = await waitForStatus(d.dir, (s) => s.jobs.length > 0 && s.jobs.every((j) => j.status !== 'running') && s.derivations.every((x) => x.confirmed), 30_000, 'the fed job closed and confirmed');
    expect(statuses(st.derivations)).toEqual(want);
    expect(st.jobs[0]?.status).toBe('failed');

    const { state } = await hello(d.paths.control);
    const rows = jobRows(state, { filter: '', sort: { column: 4, desc: false } });
    const rowStatus = Object.fromEntries(rows.filter((r) => r.drvPath).map((r) => [r.cells[6]!.trim().slice(2), r.cells[2]]));
    expect(rowStatus).toEqual(want);
    // The fed job's row (the daemon may also show the build as it saw it in /proc: a "local" job of 3 builders,
    // "a build by nix-daemon worker pid N for pid M ..., command nix-build ... pair ...").
    expect(rows.find((r) => !r.drvPath && (r.cells[6] ?? '').includes('pair') && !(r.cells[6] ?? '').includes('a build by'))?.cells[3]).toBe('1/4 ✔ 2 ✘ 1 ⊘');

    const run = startRun(d.dir, ['nix-build', ...args.slice(0, 4), '--argstr', 'nonce', nonce(), '--no-out-link', '--keep-going']);
    const ran = await run.done;
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain('nix-btm: 1 built, 2 failed, 1 cancelled, 0 interrupted');
  });
});
