import { chmodSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRuntimeDir, ensureRuntimeDir } from '../../src/protocol/paths.js';

describe('runtime dir', () => {
  it('defaults safely for root and for users', () => {
    expect(defaultRuntimeDir({}, 0)).toBe('/run/nix-btm');
    expect(defaultRuntimeDir({ NIX_BTM_RUNTIME_DIR: '/x' }, 0)).toBe('/x');
    expect(defaultRuntimeDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000)).toBe('/run/user/1000/nix-btm');
    expect(defaultRuntimeDir({ HOME: '/home/alice' }, 1000)).toBe('/home/alice/.cache/nix-btm');
  });

  it('creates a private dir and refuses one others may write to', () => {
    const base = mkdtempSync(join(tmpdir(), 'nix-btm-paths-'));
    const dir = join(base, 'rt');
    ensureRuntimeDir(dir, false);
    const open = join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(() => ensureRuntimeDir(open, false)).toThrow(/writable by group or others \(mode 777\): refusing it/);
    const file = join(base, 'file');
    writeFileSync(file, '');
    expect(() => ensureRuntimeDir(file, false)).toThrow(/is not a directory/);
  });
});
