// Proves scripts/nix-setup.sh left a working Nix: real builds, locally and through the daemon, as root and as
// the unprivileged test user, with the internal-json log nix-btm reads.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_USER, buildDrv, builtDrvs, instantiate, nixAvailable, nonce, storePathValid, tinyExprSource, writeExpr,
} from './nix-harness.js';

type Case = { readonly label: string; readonly daemon: boolean; readonly user?: string };

const cases: readonly Case[] = [
  { label: 'root through the daemon', daemon: true },
  { label: `${TEST_USER} through the daemon`, daemon: true, user: TEST_USER },
  { label: 'root on the local store (single-user)', daemon: false },
];

describe('real Nix set up by scripts/nix-setup.sh', () => {
  let dir = '';
  let expr = '';

  beforeAll(() => {
    nixAvailable({ user: true });
    dir = mkdtempSync(join(tmpdir(), 'nix-btm-e2e-'));
    expr = writeExpr(dir, tinyExprSource());
  });

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it.each(cases)('builds a derivation as $label with an internal-json log', async ({ daemon, user }) => {
    const args = { nonce: nonce() };
    const drv = instantiate(expr, args);

    const result = await buildDrv({ expr, args, daemon, user }).done;

    expect(result.code, result.stderr).toBe(0);
    expect(builtDrvs(result.stderr)).toContain(drv);
    const out = result.stdout.trim();
    expect(out).toMatch(/^\/nix\/store\/[0-9a-z]{32}-nix-btm-e2e-tiny$/);
    expect(existsSync(out)).toBe(true);
    expect(storePathValid(out)).toBe(true);
  });
});
