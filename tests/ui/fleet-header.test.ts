// The header's per-host line for many hosts at every width: each host whole (one of its own forms, never cut in the
// middle), the same detail for all, in order, `+N` for hosts that do not fit at all, and never wider than the screen.
import { describe, expect, it } from 'vitest';
import { createFleetStore } from '../../src/ui/fleet-store.js';
import { fleetLine, hostForms } from '../../src/ui/fleet-header.js';
import { stateAt } from './helpers.js';

function hosts(n: number) {
  const names = ['alpha', 'beta', 'gamma-builder', 'delta', 'epsilon-7', 'zeta'].slice(0, n);
  const store = createFleetStore(names.map((name, i) => ({ name, maxJobs: i === 0 ? null : 4 })), { frameMs: 0 });
  store.host('alpha').reset(stateAt(3000));
  store.host('alpha').link('local', 'daemon 1');
  store.host('beta').link('connected', 'daemon 2');
  store.host('gamma-builder').link('unreachable', 'ssh: connect to host gamma-builder port 22: Connection refused (retry in 8 s)');
  if (n > 3) store.host('delta').link('daemon-down', 'no nix-btm daemon answers on /run/nix-btm/control.sock');
  return store.getSnapshot().hosts!;
}

describe('the per-host line', () => {
  it.each([3, 4, 6])('%i hosts: whole entries, one detail level, in order, at every width from 10 to 250', (n) => {
    const hs = hosts(n);
    const forms = hs.map(hostForms);
    const levels = new Set<number>();
    for (let width = 10; width <= 250; width++) {
      const line = fleetLine(hs, width);
      expect([...line].length, `${width}: ${line}`).toBeLessThanOrEqual(width);
      if (line === `${n} hosts`) continue;
      const parts = line.includes(' │ ') ? line.split(' │ ') : line.split('│');
      const more = /^\+(\d+)$/.exec(parts[parts.length - 1]!);
      const entries = more ? parts.slice(0, -1) : parts;
      expect(entries.length + (more ? Number(more[1]) : 0), line).toBe(n);
      const level = forms[0]!.findIndex((f) => f === entries[0]);
      expect(level, `${width}: ${line}`).toBeGreaterThanOrEqual(0);
      entries.forEach((e, i) => expect(forms[i]!.includes(e), `${width}: ${e}`).toBe(true));
      levels.add(level);
    }
    // Wide, everything; narrow, the least.
    const full = forms.map((f) => f[0]).join(' │ ');
    if (full.length <= 250) expect(fleetLine(hs, 250)).toBe(full);
    expect(fleetLine(hs, 10)).toMatch(/^(\S+ \S+│\+\d+|\d+ hosts)$/);
    expect(levels.size).toBeGreaterThan(2);
  });
  it('a host that is not live says so at every width: its reason while there is room, then a mark', () => {
    const hs = hosts(3);
    expect(fleetLine(hs, 250)).toMatch(/gamma-builder unreachable: ssh: connect to host gamma-builder port 22: Connection refused \(retry in 8 s\)$/);
    expect(fleetLine(hs, 80)).toBe('alpha ⏵4/? cpu n/a │ beta ⏵0/4 cpu n/a │ gamma-builder unreachable');
    expect(fleetLine(hs, 40)).toBe('alpha ⏵4/?│beta ⏵0/4│gamma-builder ✘');
    expect(fleetLine(hs, 20)).toBe('alpha ⏵4/?│+2');
  });
});
