// Packaging, as far as this machine can check it: the Nix files (parse, evaluate against stubs, the unit's command
// run for real against local Nix) and the npm tarball (exact contents, installed and run from a clean directory).
// Building nix/package.nix and the NixOS VM test need nixpkgs, which CI has not: see nix/tests/vm.nix.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers.js';

type Result = { readonly code: number | null; readonly output: string };

function script(name: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(root, 'scripts', name)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { output += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { output += c; });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('packaging', () => {
  it('scripts/check-nix.sh: every .nix parses, flake/package/module/VM test evaluate, the unit runs', async () => {
    const r = await script('check-nix.sh');
    expect(r.output).toContain('the daemon saw the probe derivation built');
    expect(r.code, r.output).toBe(0);
  });

  it('scripts/check-pack.sh: the npm tarball has exactly what it needs and runs when installed from it', async () => {
    const r = await script('check-pack.sh');
    expect(r.output).toContain('exactly the expected ones');
    expect(r.code, r.output).toBe(0);
  });
});
