import { describe, expect, it } from 'vitest';
import { buildSlots, maxJobsOfCommand, maxJobsOfConf } from '../../src/history/slots.js';

describe('build slots (max-jobs)', () => {
  it('reads -j N, -jN, --max-jobs N, --max-jobs=N and --option max-jobs N; the last one wins; auto is the cores', () => {
    expect(maxJobsOfCommand('nix-build dag.nix -j 4', 2)).toBe(4);
    expect(maxJobsOfCommand('nix-build -j8 dag.nix', 2)).toBe(8);
    expect(maxJobsOfCommand('nix build --max-jobs 3 .#x', 2)).toBe(3);
    expect(maxJobsOfCommand('nix build --max-jobs=5 .#x', 2)).toBe(5);
    expect(maxJobsOfCommand('nix-build --option max-jobs 6 x.nix', 2)).toBe(6);
    expect(maxJobsOfCommand('nix-build -j 2 -j auto x.nix', 12)).toBe(12);
    expect(maxJobsOfCommand('nix-build x.nix --argstr j 4', 2)).toBeNull();
    expect(maxJobsOfCommand('nix-build -j x.nix', 2)).toBeNull();
  });

  it('reads max-jobs from nix.conf, ignoring comments, with Nix default 1', () => {
    expect(maxJobsOfConf('build-users-group = nixbld\nmax-jobs = 4\n', 2)).toBe(4);
    expect(maxJobsOfConf('max-jobs = auto # all cores\n', 16)).toBe(16);
    expect(maxJobsOfConf('# max-jobs = 9\n', 2)).toBe(1);
    expect(maxJobsOfConf('', 2)).toBe(1);
  });

  it('takes the command over nix.conf, and never fewer slots than builds seen running at once', () => {
    expect(buildSlots('nix-build -j 3 x.nix', 8, 1, 2)).toBe(3);
    expect(buildSlots('nix-build x.nix', 8, 1, 2)).toBe(8);
    expect(buildSlots('nix-build -j 2 x.nix', 8, 5, 2)).toBe(5);
    expect(buildSlots('nix-build -j 0 x.nix', 1, 0, 2)).toBe(1);
  });
});
