// `nix-btm status` without --json: the daemon, then its sources and its Nix processes, then the builds (README).
import { describe, expect, it } from 'vitest';
import { statusText } from '../../src/commands/status.js';
import { stateAt } from '../ui/helpers.js';

describe('status text', () => {
  it('lists the sources and the processes, not only a count', () => {
    const state = stateAt(3000);
    const text = statusText({ state, seq: 1, ringPath: '/x', daemon: { pid: 42, startedAt: 0, runtimeDir: '/run/nix-btm', nixLogSocket: '/run/nix-btm/nix-log.sock' } }, 120);
    expect(text).toMatch(/^daemon pid 42, json-log-path = \/run\/nix-btm\/nix-log\.sock\n/);
    expect(text).toMatch(/sources \(1\):\n {2}running +replay +pid 16115 +root +nix-build dag\.nix/);
    expect(text).toContain(`Nix processes (${state.processes.filter((p) => p.role !== 'other').length}):`);
    expect(text).not.toContain('/process_api');
    expect(text).toMatch(/ 15810 root +nix-daemon +\/usr\/bin\/nix-daemon/);
    expect(text).toMatch(/derivations: 2 built/);
  });
});
