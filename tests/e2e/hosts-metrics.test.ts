// Issue 13, fleets: `nix-btm daemon --metrics` scraped by a real Prometheus (Debian's package, started here with its
// own config, port and data dir) while real Nix 2.8 builds run through `nix-btm run`: the series are asserted
// through Prometheus's own query API, so names, labels and the exposition format are what Prometheus accepts.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nixBtm, startDaemon, startRun, stopAll } from './daemon-helpers.js';
import { nixAvailable, nonce, tinyExprSource, waitFor, writeExpr } from './nix-harness.js';
import { ensureHostUsers, freePort } from './ssh-harness.js';

const PROMETHEUS = '/usr/bin/prometheus';
const U = 'btm-hosts-u';
let dir: string;
let prom: ChildProcess | null = null;

beforeAll(() => {
  nixAvailable();
  ensureHostUsers(U);
  dir = mkdtempSync(join(tmpdir(), 'btm-hosts-prom-'));
  chmodSync(dir, 0o755);
});
afterAll(async () => {
  prom?.kill('SIGTERM');
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

type Sample = { metric: Record<string, string>; value: [number, string] };

async function query(port: number, q: string): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = await res.json() as { status: string; data: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`prometheus: ${JSON.stringify(body)}`);
  return body.data.result;
}

const failingExpr = (name: string): string => `{ nonce ? "0" }:
builtins.derivation { name = "${name}"; system = builtins.currentSystem; builder = "/bin/sh"; inherit nonce;
  args = [ "-c" "echo failing on purpose; exit 3" ]; }
`;

describe('nix-btm daemon --metrics, scraped by Prometheus', () => {
  it('refuses a wildcard address unless asked', () => {
    const r = nixBtm(['daemon', '--runtime-dir', join(dir, 'nope'), '--metrics', '0.0.0.0:9464']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--metrics 0\.0\.0\.0:9464: listening on every address .* --metrics-any-address/);
  });

  it('serves builds by user and outcome, durations by pname, builder figures and daemon health', async () => {
    const metricsPort = await freePort();
    const daemon = await startDaemon({ group: 'nix-users', refreshMs: 250, extra: ['--metrics', `127.0.0.1:${metricsPort}`] });
    const promPort = await freePort();
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: nixbtm\n    static_configs:\n      - targets: ['127.0.0.1:${metricsPort}']\n`);
    prom = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
      { stdio: 'ignore' });
    await waitFor(async () => (await query(promPort, 'up{job="nixbtm"} == 1').catch(() => [])).length === 1, 60_000, 'Prometheus scraping the daemon');
    const ok = writeExpr(join(dir, 'ok'), tinyExprSource('btm-hosts-metric-ok', 6));
    const bad = writeExpr(join(dir, 'bad'), failingExpr('btm-hosts-metric-bad'));
    const good = startRun(daemon.dir, ['nix-build', ok, '--argstr', 'nonce', nonce(), '--no-out-link'], { user: U });
    // While it runs: Prometheus sees it running, and its builder's memory.
    await waitFor(async () => (await query(promPort, `nixbtm_builds{status="running",user="${U}"}`).catch(() => [])).length > 0, 60_000, 'a running build in Prometheus');
    expect((await good.done).code).toBe(0);
    const failed = startRun(daemon.dir, ['nix-build', bad, '--argstr', 'nonce', nonce(), '--no-out-link']);
    expect((await failed.done).code).not.toBe(0);
    // The outcome and the duration can reach Prometheus in different scrapes (the build fails, then its activity stops).
    const failedBucket = 'nixbtm_build_duration_seconds_bucket{pname="btm-hosts-metric-bad",status="failed",le="+Inf"}';
    await waitFor(async () => (await query(promPort, 'nixbtm_builds_finished_total{status="failed",user="root"}')).length > 0 &&
      (await query(promPort, failedBucket)).length > 0, 30_000, 'the failed build and its duration scraped');
    const built = await query(promPort, `nixbtm_builds_finished_total{status="built",user="${U}"}`);
    expect(built).toHaveLength(1);
    expect(Number(built[0]!.value[1])).toBeGreaterThanOrEqual(1);
    expect(built[0]!.metric.host).toBeTruthy();
    const hist = await query(promPort, 'nixbtm_build_duration_seconds_count{pname="btm-hosts-metric-ok",status="built"}');
    expect(Number(hist[0]?.value[1])).toBe(1);
    const sum = await query(promPort, 'nixbtm_build_duration_seconds_sum{pname="btm-hosts-metric-ok"}');
    expect(Number(sum[0]?.value[1])).toBeGreaterThanOrEqual(6);
    expect(await query(promPort, failedBucket)).toHaveLength(1);
    for (const name of ['nixbtm_substituted_bytes_total', 'nixbtm_events_per_second', 'nixbtm_intake_backlog', 'nixbtm_ring_next_seq']) {
      expect(await query(promPort, name), name).toHaveLength(1);
    }
    expect((await query(promPort, 'nixbtm_dropped_records')).map((s) => s.metric.reason).sort()).toEqual(['decode-error', 'message-dropped', 'refused-event']);
    expect((await query(promPort, 'nixbtm_wake_fifos')).map((s) => s.metric.state).sort()).toEqual(['adopted', 'offered']);
    expect(Number((await query(promPort, 'sum(nixbtm_events_total{kind="nix"})'))[0]?.value[1])).toBeGreaterThan(0);
    expect(Number((await query(promPort, 'up{job="nixbtm"}'))[0]?.value[1])).toBe(1);
    // The builder figures exist as series (this machine's other builds may add more pnames).
    const mem = await query(promPort, 'max_over_time(nixbtm_builder_memory_bytes{pname="btm-hosts-metric-ok"}[5m])');
    expect(Number(mem[0]?.value[1])).toBeGreaterThan(0);
    // Only GET /metrics is served.
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);
  });
});
