// `nix-btm history` as a user runs it: the built CLI in a child process, here only what it refuses before asking.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers.js';

describe('nix-btm history', () => {
  it('refuses an outcome it does not know, naming the ones it does (it once listed nothing, as for an empty history)', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/nix-btm'), 'history', '--status', 'bogus', '--runtime-dir', '/nonexistent'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/status.*"bogus".*succeeded.*failed.*interrupted.*running/s);
    expect(r.stdout).not.toMatch(/no jobs/);
  });
});
