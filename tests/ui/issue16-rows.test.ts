// #16's row and screen promises on the real demo capture: Builder rows keyed by derivation (the cursor stays on a
// killed build's row while it goes), slotless rows after the slots, finished builds off their slot; builds under a
// job sorted with the job column; the first screen's set-up text; the header meters' parsing and disk warning.
import { describe, expect, it } from 'vitest';
import type { State } from '../../src/state/model.js';
import { builderRows } from '../../src/ui/rows-builder.js';
import { jobRows } from '../../src/ui/rows-jobs.js';
import { firstSteps } from '../../src/ui/first-steps.js';
import { diskLow, DISK_WARN_BYTES } from '../../src/ui/meters.js';
import { parseNetDev } from '../../src/ingest/net-dev.js';
import { stateAt } from './helpers.js';

const builders = (s: State) => builderRows(s, { filter: '', sort: { column: 0, desc: false }, expanded: new Set() });

describe('Builder rows', () => {
  it('are keyed by derivation, name USER and JOB, and put rows without a slot after the slots', () => {
    const s = stateAt(3000);
    const rows = builders(s);
    expect(rows.length).toBeGreaterThan(1);
    for (const r of rows) expect(r.key).toMatch(/^b:\/nix\/store\/.+\.drv$/);
    const job = [...s.jobs.values()][0]!;
    for (const r of rows) expect(r.cells.slice(1, 3)).toEqual([job.info.user, String(job.info.pid)]);
    const slots = rows.map((r) => r.cells[0]);
    const firstDash = slots.indexOf('-');
    if (firstDash >= 0) expect(slots.slice(firstDash).every((x) => x === '-')).toBe(true);
  });

  it('keep the row while its builder process goes, and drop a build Nix says has ended', () => {
    const s = stateAt(3000);
    const row = builders(s).find((r) => r.cells[0] !== '-')!;
    // The builder's processes vanish from the scan (killed), the derivation still runs: same key, no slot.
    const gone: State = { ...s, processes: s.processes.filter((p) => p.drvPath !== row.drvPath) };
    const after = builders(gone).find((r) => r.drvPath === row.drvPath);
    expect(after?.key).toBe(row.key);
    // Nix says it ended: off the list even while the last scan still saw its process.
    const d = s.derivations.get(row.drvPath!)!;
    const ended: State = { ...s, derivations: new Map(s.derivations).set(d.drvPath, { ...d, status: 'built' }) };
    expect(builders(ended).some((r) => r.drvPath === row.drvPath)).toBe(false);
  });
});

describe('Jobs rows', () => {
  it('sort the builds under a job by the sort column too, either way', () => {
    const s = stateAt(6000);
    const names = (desc: boolean): string[] => jobRows(s, { filter: '', sort: { column: 5, desc } }).filter((r) => r.drvPath)
      .map((r) => r.drvPath!);
    const ms = (p: string): number => { const d = s.derivations.get(p)!; return d.startedAt === null ? -1 : (d.stoppedAt ?? s.now!) - d.startedAt; };
    const asc = names(false).map(ms);
    expect(new Set(asc).size).toBeGreaterThan(2);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    const desc = names(true).map(ms);
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
  });
});

describe('the first screen', () => {
  const socket = '/run/nix-btm/nix-log.sock';
  it('names the json-log-path line for Nix >= 2.30, and whether it is set', () => {
    expect(firstSteps({ nixVersion: '2.30.5', jsonLogPath: '', socket }).join('\n')).toContain(`not set. Add to nix.conf:\n      json-log-path = ${socket}`);
    expect(firstSteps({ nixVersion: '2.30.5', jsonLogPath: socket, socket }).join('\n')).toContain(`json-log-path = ${socket} is set`);
  });
  it('says nix-btm run for older Nix', () => {
    expect(firstSteps({ nixVersion: '2.8.0', jsonLogPath: null, socket }).join('\n')).toMatch(/Nix 2\.8\.0 has no json-log-path .*nix-btm run -- nix-build/s);
  });
  it('a UI of another runtime dir says to run builds into that one (else they go to a daemon it does not show)', () => {
    expect(firstSteps({ nixVersion: '2.8.0', jsonLogPath: null, socket, runtimeDir: '/tmp/rt' }).join('\n'))
      .toContain('nix-btm run --runtime-dir /tmp/rt -- nix-build default.nix');
  });
});

describe('header meters', () => {
  it('sum /proc/net/dev without lo, and warn on a nearly full store disk', () => {
    const text = 'Inter-|   Receive\n face |bytes packets\n    lo: 500 1 0 0 0 0 0 0 500 1 0 0 0 0 0 0\n  eth0: 1000 2 0 0 0 0 0 0 300 3 0 0 0 0 0 0\n';
    expect(parseNetDev(text)).toEqual({ rx: 1000, tx: 300 });
    const m = { storePath: '/nix/store', rxBytesPerSec: null, txBytesPerSec: null, load: [0, 0, 0] as const };
    expect(diskLow({ ...m, diskFreeBytes: DISK_WARN_BYTES - 1, diskTotalBytes: 1e12 })).toBe(true);
    expect(diskLow({ ...m, diskFreeBytes: 5e11, diskTotalBytes: 1e12 })).toBe(false);
  });
});
