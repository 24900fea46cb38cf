// A job made from /proc (the daemon's local-builds.ts: no log, no exit code) ends as its builds say: the order of
// events the daemon publishes for a build only /proc saw, whose builder ended without its outputs.
import { describe, expect, it } from 'vitest';
import type { BtmEvent, HostInfo, ProcessInfo } from '../../src/state/events.js';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';

const DRV = '/nix/store/8gr6srhd7a6pvpf8n3akw4b7k4cwgl0q-hello-2.12.drv';
const SOURCE = 'local:4100:1700000000000';
const host: HostInfo = { hostname: 'h', nixVersion: '2.8', cpuPercent: [1], memTotalBytes: 2, memUsedBytes: 1, load: [0, 0, 0] };
const builder: ProcessInfo = { pid: 4200, ppid: 4100, pgid: 4200, uid: 30001, user: 'nixbld1', state: 'S', cpuPercent: 0,
  rssBytes: 1, startedAt: 1000, command: 'bash -e builder.sh', role: 'builder', drvPath: DRV } as ProcessInfo;

function run(events: BtmEvent[]): State {
  return events.reduce((s, e) => reduce(s, e), initialState());
}

const opened: BtmEvent[] = [
  // The scan sees the builder first (not streamed), then the daemon ties it and opens the job.
  { kind: 'proc-scan', at: 1000, processes: [builder], host },
  { kind: 'source-open', at: 2000, source: SOURCE, info: { via: 'local', pid: 4100, uid: 1001, user: 'alice', command: 'a build by nix-daemon worker pid 4100' } },
  { kind: 'local-build', at: 2000, source: SOURCE, drvPath: DRV, status: 'running', reason: null },
];

describe('jobs only /proc saw', () => {
  it('a builder gone without its outputs: the job is interrupted, not succeeded', () => {
    const s = run([...opened,
      { kind: 'proc-scan', at: 3000, processes: [], host },
      { kind: 'outputs-valid', at: 3100, drvPath: DRV, valid: false },
      { kind: 'local-build', at: 4000, source: SOURCE, drvPath: DRV, status: 'failed', reason: 'its builder ended and its outputs are not in the store (no log says why)' },
      { kind: 'source-close', at: 4100, source: SOURCE, exitCode: null, reason: 'eof' }]);
    expect(s.derivations.get(DRV)!.status).not.toBe('built');
    expect(s.jobs.get(SOURCE)!.status).toBe(s.derivations.get(DRV)!.status === 'failed' ? 'failed' : 'interrupted');
  });

  it('failed when the daemon says its build failed; succeeded only when it built', () => {
    const failed = run([...opened,
      { kind: 'local-build', at: 4000, source: SOURCE, drvPath: DRV, status: 'failed', reason: 'no outputs' },
      { kind: 'source-close', at: 4100, source: SOURCE, exitCode: null, reason: 'eof' }]);
    expect(failed.jobs.get(SOURCE)!.status).toBe('failed');
    const built = run([...opened,
      { kind: 'local-build', at: 4000, source: SOURCE, drvPath: DRV, status: 'built', reason: 'its outputs are in the store' },
      { kind: 'source-close', at: 4100, source: SOURCE, exitCode: null, reason: 'eof' }]);
    expect(built.jobs.get(SOURCE)!.status).toBe('succeeded');
  });
});

describe('a build that ends while marked frozen', () => {
  it('was frozen until its end (a stopped builder cannot end by itself): its duration leaves that out', async () => {
    const { durationMs } = await import('../../src/state/selectors.js');
    // Frozen at 50 s (the scan sees T), thawed and ended before the next scan: the store says it built at 74 s.
    const s = run([...opened,
      { kind: 'proc-scan', at: 51_000, processes: [{ ...builder, state: 'T' }], host },
      { kind: 'local-build', at: 75_000, source: SOURCE, drvPath: DRV, status: 'built', reason: 'its outputs are in the store' }]);
    const d = s.derivations.get(DRV)!;
    expect(d.frozenAt).toBeNull();
    expect(d.frozenMs).toBe(24_000);
    expect(durationMs(d)).toBe(75_000 - 1000 - 24_000);
    // Frozen and thawed between scans while it ran on: the frozen time counted once, not again at its end.
    const t = run([...opened,
      { kind: 'proc-scan', at: 11_000, processes: [{ ...builder, state: 'T' }], host },
      { kind: 'proc-scan', at: 21_000, processes: [builder], host },
      { kind: 'local-build', at: 31_000, source: SOURCE, drvPath: DRV, status: 'built', reason: 'its outputs are in the store' }]);
    expect(t.derivations.get(DRV)!.frozenMs).toBe(10_000);
    expect(durationMs(t.derivations.get(DRV)!)).toBe(20_000);
  });
});

