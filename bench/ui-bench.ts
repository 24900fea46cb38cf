// `npm run bench`: frame time of each view and key-press-to-frame latency, on the real demo capture scaled up to
// 1000 processes and 5000 derivations by cloning its real entities under new pids/paths (synthetic load, on purpose).
import type { Benchmark } from './index.js';
import { median, percentile, round } from './stats.js';
import type { ProcessInfo } from '../src/state/events.js';
import type { State } from '../src/state/model.js';
import { initialState, reduce } from '../src/state/reducer.js';
import { demoRecording } from '../src/feeds/demo-feed.js';
import { recordingController, type Controller } from '../src/ui/feed.js';
import { fileSource } from '../src/history/source.js';
import { bigHistory } from './history-db.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ViewId } from '../src/ui/keymap.js';
import { createStore } from '../src/ui/store.js';
import { initialUi } from '../src/ui/ui-state.js';
import { outputFigures } from './ui/output.js';

const FRAMES = 60;
// Frames drawn before timing starts: a new process's first frames run unoptimized code (JIT warm-up, 2-5x a steady
// frame's CPU, measured on the empty state as well); a UI draws them once. They are reported apart (`warmupCpuMaxMs`).
// NIX_BTM_BENCH_UI_WARMUP=0 times them too (the figures before this was added).
const WARMUP = Number(process.env.NIX_BTM_BENCH_UI_WARMUP ?? 10);
const SIZE = { columns: 120, rows: 40 };

/** The recorded run 3 s in (builds running), its jobs and processes cloned until the targets are reached. */
export function scaledState(processes: number, derivations: number): State {
  const rec = demoRecording();
  let s = initialState();
  for (const e of rec.events) { if ((e.at ?? 0) > rec.startAt + 3000) break; s = reduce(s, e); }
  const [job] = [...s.jobs.values()];
  const drvs = [...s.derivations.values()];
  for (let k = 1; s.derivations.size < derivations && job; k++) {
    const rename = (p: string): string => p.replace(/\/nix\/store\/(.{8})/, (_m, h: string) => `/nix/store/${String(k).padStart(8, '0')}`.slice(0, 11 + 8 - h.length + h.length));
    const source = `${job.source}#${k}`;
    for (const d of drvs) s.derivations.set(rename(d.drvPath), { ...d, drvPath: rename(d.drvPath), jobs: [source] });
    s.jobs.set(source, { ...job, source, plan: job.plan.map(rename), drvs: job.drvs.map(rename), info: { ...job.info, pid: 100_000 + k } });
  }
  const base = s.processes;
  const procs: ProcessInfo[] = [...base];
  for (let k = 1; procs.length < processes; k++) {
    for (const p of base) procs.push({ ...p, pid: p.pid + k * 100_000, ppid: p.ppid + k * 100_000, pgid: p.pgid && p.pgid + k * 100_000 });
  }
  return reduce(s, { kind: 'proc-scan', at: s.now, processes: procs.slice(0, processes), host: s.host });
}

/** Wall-clock ms per frame, and the CPU ms this process spent on it (the machine is shared: CPU time is what the
 * frame costs, wall time what it costs on a machine this busy). */
type Timing = { frame: number[]; key: number[]; cpu: number[]; warmupCpu: number[] };

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** Loaded after NODE_ENV is set, so React's production build is measured, as the CLI runs it. */
async function loadUi() {
  process.env.NODE_ENV ??= 'production';
  const [{ default: React }, { render }, { default: App }] = await Promise.all([
    import('react'), import('ink-testing-library'), import('../src/components/App.js')]);
  return { React, render, App };
}

async function measure(state: State, view: ViewId, withKeys: boolean, controller: Controller): Promise<Timing> {
  const { React, render, App } = await loadUi();
  const store = createStore({ frameMs: 0, state });
  const app = render(React.createElement(App, {
    store, controller, onQuit: () => {}, size: SIZE, initial: { ...initialUi, view },
  }));
  // The history answers (LEFT column, History view) come asynchronously: let the first ones arrive before timing.
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
  const scans = [state.processes, state.processes.map((p) => ({ ...p, cpuPercent: p.cpuPercent + 1 }))];
  const out: Timing = { frame: [], key: [], cpu: [], warmupCpu: [] };
  for (let i = -WARMUP; i < FRAMES; i++) {
    const before = app.frames.length;
    const c0 = cpuMs();
    const t0 = performance.now();
    store.apply([{ kind: 'proc-scan', at: state.now, processes: scans[(i + WARMUP) % 2]!, host: state.host }]);
    store.flush();
    while (app.frames.length === before) await new Promise((r) => setImmediate(r));
    if (i < 0) { out.warmupCpu.push(cpuMs() - c0); continue; }
    out.frame.push(performance.now() - t0);
    out.cpu.push(cpuMs() - c0);
    if (!withKeys) continue;
    const k0 = performance.now();
    const n = app.frames.length;
    app.stdin.write(i % 10 < 5 ? 'j' : 'k');
    while (app.frames.length === n) await new Promise((r) => setImmediate(r));
    out.key.push(performance.now() - k0);
  }
  app.unmount();
  return out;
}

const ALL_VIEWS: readonly [ViewId, string][] = [['process', 'process'], ['builder', 'builder'], ['eagle', 'eagleEye'], ['jobs', 'jobs'], ['history', 'history']];
// NIX_BTM_BENCH_UI_VIEWS=eagle,jobs: only these views (to profile one view's frames).
const only = process.env.NIX_BTM_BENCH_UI_VIEWS?.split(',');
const VIEWS = only ? ALL_VIEWS.filter(([v]) => only.includes(v)) : ALL_VIEWS;

/** A history of 5,000 derivations in 100 jobs (bench/history-db.ts), read as `--history FILE` reads it: the LEFT column
 * and the History view are drawn from it, as on a live daemon with a history. */
export function historyController(): { controller: Controller; close: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nix-btm-ui-bench-'));
  const path = join(dir, 'history.sqlite');
  bigHistory(path, 5000, 50).db.close();
  const source = fileSource(path);
  return { controller: { ...recordingController('demo'), history: source.ask }, close: () => { source.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export const benchmark: Benchmark = {
  name: 'ui',
  run: async (log) => {
    // The machine may be shared: its load is part of the figures (wall times stretch with it, CPU times much less).
    const loadAtStart = loadavg().map((x) => round(x));
    const big = scaledState(1000, 5000);
    const empty = initialState();
    const history = historyController();
    // NIX_BTM_BENCH_UI_NO_HISTORY=1: the same frames without a history (no LEFT column, History view empty).
    const controller = process.env.NIX_BTM_BENCH_UI_NO_HISTORY ? recordingController('demo') : history.controller;
    log(`state: ${big.processes.length} processes, ${big.derivations.size} derivations, ${big.jobs.size} jobs; ${SIZE.columns}x${SIZE.rows}, ${FRAMES} frames per view`);
    const frameP95Ms: Record<string, number> = {};
    const frameCpuP95Ms: Record<string, number> = {};
    const frameP50Ms: Record<string, number> = {};
    const baselineP50Ms: Record<string, number> = {};
    // CPU per frame against the empty view's in the same run: the figure a loaded machine stretches least.
    const frameCpuP50Ms: Record<string, number> = {};
    const baselineCpuP95Ms: Record<string, number> = {};
    const cpuP95RatioToEmpty: Record<string, number> = {};
    const warmupCpuMaxMs: Record<string, number> = {};
    const keys: number[] = [];
    for (const [view, name] of VIEWS) {
      const base = await measure(empty, view, false, controller);
      const t = await measure(big, view, true, controller);
      frameP95Ms[name] = round(percentile(t.frame, 95));
      frameCpuP95Ms[name] = round(percentile(t.cpu, 95));
      frameP50Ms[name] = round(median(t.frame));
      baselineP50Ms[name] = round(median(base.frame));
      frameCpuP50Ms[name] = round(median(t.cpu));
      baselineCpuP95Ms[name] = round(percentile(base.cpu, 95));
      cpuP95RatioToEmpty[name] = round(percentile(t.cpu, 95) / Math.max(0.01, percentile(base.cpu, 95)), 1);
      warmupCpuMaxMs[name] = round(Math.max(0, ...t.warmupCpu));
      keys.push(...t.key);
      log(`${name.padEnd(9)} frame p50 ${frameP50Ms[name]} ms, p95 ${frameP95Ms[name]} ms (CPU p50 ${frameCpuP50Ms[name]}, p95 ${frameCpuP95Ms[name]} ms, x${cpuP95RatioToEmpty[name]} the empty view's ${baselineCpuP95Ms[name]} ms); empty view p50 ${baselineP50Ms[name]} ms (x${round(median(t.frame) / Math.max(0.01, median(base.frame)), 1)}); key->frame p95 ${round(percentile(t.key, 95))} ms; first ${WARMUP} frames (not timed) CPU max ${warmupCpuMaxMs[name]} ms`);
    }
    const keyToFrameP95Ms = round(percentile(keys, 95));
    log(`key press -> frame: p50 ${round(median(keys))} ms, p95 ${keyToFrameP95Ms} ms (goal for frames: p95 < 16 ms)`);
    // 20,000 derivations: every view again (in the job views every derivation is a row).
    const huge = scaledState(1000, 20_000);
    const frameP95Ms20k: Record<string, number> = {};
    const frameCpuP95Ms20k: Record<string, number> = {};
    const frameCpuP50Ms20k: Record<string, number> = {};
    for (const [view, name] of VIEWS) {
      const t = await measure(huge, view, false, controller);
      frameP95Ms20k[name] = round(percentile(t.frame, 95));
      frameCpuP95Ms20k[name] = round(percentile(t.cpu, 95));
      frameCpuP50Ms20k[name] = round(median(t.cpu));
    }
    log(`at ${huge.derivations.size} derivations: frame p95 ${Object.entries(frameP95Ms20k).map(([k, v]) => `${k} ${v} ms (CPU ${frameCpuP95Ms20k[k]} ms)`).join(', ')}`);
    history.close();
    // NIX_BTM_BENCH_UI_FRAMES_ONLY=1: frame times only (no tmux/htop output figures), for profiling the frame loop.
    const output = process.env.NIX_BTM_BENCH_UI_FRAMES_ONLY ? undefined : await outputFigures(log);
    const loadAtEnd = loadavg().map((x) => round(x));
    log(`load average at start ${loadAtStart.join(' ')}, at end ${loadAtEnd.join(' ')} (${cpus().length} cores)`);
    return {
      loadAtStart, loadAtEnd, frameP95Ms, frameCpuP95Ms, frameCpuP50Ms, baselineCpuP95Ms, cpuP95RatioToEmpty, warmupCpuMaxMs, frameCpuP50Ms20k, warmupFrames: WARMUP, keyToFrameP95Ms, frameP50Ms, baselineP50Ms, frameP95Ms20k, frameCpuP95Ms20k, processes: big.processes.length, derivations: big.derivations.size,
      ...(output ?? {}),
    };
  },
};
