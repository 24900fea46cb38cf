// Issue 9: a build not streamed to the daemon (a plain nix-build through the real nix-daemon, no `nix-btm run`) is
// tied to its derivation through its builder's environment and shown running, of no known job; SIGSTOP on its
// builder shows it frozen with its clock stopped, in status, the Jobs/Eagle Eye/Builder rows alike.
import { spawn } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hello } from '../../src/client/daemon-client.js';
import { NOT_STREAMED } from '../../src/state/builders.js';
import { BUILDER_COLUMNS, builderRows } from '../../src/ui/rows-builder.js';
import { freshDir, sleep, startDaemon, stopAll, waitForStatus } from './daemon-helpers.js';
import { nixAvailable, nonce, tinyExprSource, writeExpr } from './nix-harness.js';

beforeAll(() => nixAvailable());
afterEach(stopAll);

// The builds nix-btm's daemon found only in /proc are what this test is about: keep them in status documents.
const LOCAL = { local: true } as const;

describe('builds only /proc knows of', () => {
  it('are tied, running of an unknown job, and frozen with the clock stopped while SIGSTOPped', async () => {
    const d = await startDaemon({ refreshMs: 200 });
    const expr = writeExpr(freshDir('nix-btm-expr-'), tinyExprSource('nix-btm-truth-unstreamed', 30));
    const nix = spawn('nix-build', [expr, '--argstr', 'nonce', nonce(), '--no-out-link'], { env: { ...process.env, NIX_REMOTE: 'daemon' }, stdio: 'ignore', detached: true });
    try {
      const mid = await waitForStatus(d.dir, (s) => s.derivations.some((x) => x.name === 'nix-btm-truth-unstreamed' && x.status === 'running'), 60_000, 'the unstreamed build, tied', false, LOCAL);
      const drv = mid.derivations.find((x) => x.name === 'nix-btm-truth-unstreamed')!;
      expect(drv.reason).toBe(NOT_STREAMED);
      // No stream names its job: none yet, or the daemon's own "local" job made from /proc (local-builds.ts).
      expect(drv.jobs.every((j) => j.startsWith('local:'))).toBe(true);
      const builder = mid.processes.find((p) => p.role === 'builder' && p.drvPath === drv.drvPath)!;
      expect(builder).toBeDefined();
      process.kill(builder.pid, 'SIGSTOP');
      const frozen = await waitForStatus(d.dir, (s) => s.derivations.some((x) => x.drvPath === drv.drvPath && (x as { frozenAt?: number | null }).frozenAt != null), 20_000, 'frozen', true, LOCAL);
      const t1 = frozen.derivations.find((x) => x.drvPath === drv.drvPath)!.durationMs;
      await sleep(1500);
      const { state } = await hello(d.paths.control);
      const row = builderRows(state, { filter: '', sort: { column: 0, desc: false }, expanded: new Set() }).find((r) => r.drvPath === drv.drvPath)!;
      const cell = (title: string): string | undefined => row.cells[BUILDER_COLUMNS.findIndex((c) => c.title === title)];
      expect(cell('DERIVATION')).toBe('nix-btm-truth-unstreamed');
      expect(cell('PHASE')).toBe('frozen');
      const later = await waitForStatus(d.dir, () => true, 1000, 'again', true, LOCAL);
      expect(later.derivations.find((x) => x.drvPath === drv.drvPath)!.durationMs).toBe(t1);
      process.kill(builder.pid, 'SIGCONT');
      await waitForStatus(d.dir, (s) => s.derivations.some((x) => x.drvPath === drv.drvPath && (x as { frozenAt?: number | null }).frozenAt == null), 20_000, 'thawed', true, LOCAL);
    } finally {
      try { process.kill(-nix.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  });
});
