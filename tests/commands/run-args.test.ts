// What `nix-btm run` runs (issue 15): Nix's flags added once, only to Nix's own commands; shells get no widget.
import { describe, expect, it } from 'vitest';
import { isInteractive, nixArgv } from '../../src/commands/run.js';

describe('nixArgv', () => {
  it('adds --log-format internal-json -v to Nix commands, by their base name', () => {
    expect(nixArgv(['nix-build', 'default.nix'], false)).toEqual(['nix-build', 'default.nix', '--log-format', 'internal-json', '-v']);
    expect(nixArgv(['/usr/bin/nix', 'build', '.#foo'], false)).toEqual(['/usr/bin/nix', 'build', '.#foo', '--log-format', 'internal-json', '-v']);
  });
  it('keeps the verbosity and log format the user gave', () => {
    expect(nixArgv(['nix-build', '-vvv', 'x.nix'], false)).toEqual(['nix-build', '-vvv', 'x.nix', '--log-format', 'internal-json']);
    expect(nixArgv(['nix', 'build', '--log-format', 'internal-json', '--verbose'], false)).toEqual(['nix', 'build', '--log-format', 'internal-json', '--verbose']);
  });
  it('refuses other programs with what to do instead; --as-is runs them unchanged', () => {
    expect(() => nixArgv(['sh', '-c', 'nix-build'], false)).toThrow(/'sh' is not a Nix command .*--as-is.*\| nix-btm watch/s);
    expect(() => nixArgv(['nixx-build'], false)).toThrow(/not a Nix command/);
    expect(() => nixArgv([], false)).toThrow(/nothing to run/);
    expect(nixArgv(['sh', '-c', 'echo'], true)).toEqual(['sh', '-c', 'echo']);
  });
});

describe('isInteractive', () => {
  it('is a shell for the user: nix-shell, nix develop, nix shell, unless they run a command', () => {
    expect(isInteractive(['nix-shell', 'shell.nix'])).toBe(true);
    expect(isInteractive(['nix-shell', '--run', 'make'])).toBe(false);
    expect(isInteractive(['nix', 'develop'])).toBe(true);
    expect(isInteractive(['nix', 'develop', '--command', 'make'])).toBe(false);
    expect(isInteractive(['nix', 'shell', 'nixpkgs#hello', '-c', 'hello'])).toBe(false);
    expect(isInteractive(['nix-build', 'default.nix'])).toBe(false);
  });
});
