// The /proc scan in its own thread (src/daemon/scan-thread.ts + scan-worker.ts): real processes, a real worker
// thread (dist/, built by `npm test`). What the main thread needs synchronously (builders' environments, build
// users) must still be answered there, from the thread's last scan.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { DrvCandidate } from '../../src/ingest/builder-map.js';
import { startScanThread, type ScanThread } from '../../src/daemon/scan-thread.js';
import { killAll, sleep, start } from '../ingest/proc-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'btm-scan-thread-'));
const threads: ScanThread[] = [];
afterEach(async () => {
  killAll();
  await Promise.all(threads.splice(0).map((t) => t.close()));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const OUT = '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-scan-thread-probe';
const DRV = '/nix/store/zyxwvsrqpnmlkjihgfdcba9876543210-scan-thread-probe.drv';

/** A process tree shaped as Nix makes one: a client (comm nix-build) whose child leads its own session with a builder's environment. */
function fakeBuild(): void {
  const client = join(tmp, 'nix-build');
  copyFileSync('/bin/sh', client);
  const env = `NIX_BUILD_TOP=/tmp/nix-build-scan-thread-probe.drv-0 out=${OUT} name=scan-thread-probe`;
  start(client, ['-c', `setsid env -i ${env} /bin/sleep 30 & wait`], { detached: true });
}

async function until<T>(probe: () => Promise<T | undefined>, tries = 60): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(50);
  }
  return undefined;
}

const scanOnce = async (t: ScanThread, all: boolean, candidates: () => DrvCandidate[] = () => []) => {
  const running = t.scan(all, candidates);
  expect(running).not.toBeNull();
  return running!;
};

describe('the scan thread', () => {
  it('scans every process off the main thread; one scan at a time', async () => {
    const t = startScanThread(() => {});
    threads.push(t);
    const child = start('/bin/sleep', ['30']);
    const first = t.scan(true, () => []);
    expect(first).not.toBeNull();
    // A second ask while one is in flight is refused, not queued: the caller decides when to ask again.
    expect(t.scan(true, () => [])).toBeNull();
    const r = await first!;
    expect(r.processes.find((p) => p.pid === child.pid)?.command).toBe('/bin/sleep 30');
    expect(r.processes.find((p) => p.pid === process.pid)).toBeDefined();
    expect(r.host.cpuPercent.length).toBeGreaterThan(0);
    expect(Math.abs(r.at - Date.now())).toBeLessThan(60_000);
    // The Nix forest only: an unrelated sleep is not in it.
    const forest = await scanOnce(t, false);
    expect(forest.processes.find((p) => p.pid === child.pid)).toBeUndefined();
  });

  it('ties a builder to the candidate the main thread sent, and mirrors its environment here', async () => {
    const t = startScanThread(() => {});
    threads.push(t);
    fakeBuild();
    const candidates = () => [{ drvPath: DRV, outputs: { out: OUT }, name: 'scan-thread-probe' }];
    const found = await until(async () => {
      const r = await scanOnce(t, false, candidates);
      return r.processes.find((p) => p.role === 'builder' && p.command === '/bin/sleep 30');
    });
    expect(found?.drvPath).toBe(DRV);
    expect(t.environ(found!.pid)?.get('NIX_BUILD_TOP')).toBe('/tmp/nix-build-scan-thread-probe.drv-0');
    // Sent once: the next scan carries no environment, the mirror keeps it.
    await scanOnce(t, false, candidates);
    expect(t.environ(found!.pid)?.get('out')).toBe(OUT);
    killAll();
    expect(await until(async () => ((await scanOnce(t, false, candidates)).processes.some((p) => p.pid === found!.pid) ? undefined : true))).toBe(true);
    expect(t.environ(found!.pid)).toBeNull();
  });

  it('a closed thread scans no more', async () => {
    const t = startScanThread(() => {});
    threads.push(t);
    await scanOnce(t, true);
    await t.close();
    expect(t.scan(true, () => [])).toBeNull();
  });
});
