// The 20-host UI's frame cost on its own (issue 13): 20 hosts in one fleet store, each fed the real demo capture's
// events at 1,000 per second (33 per frame at 30 frames/s), every view at 160x50, CPU per frame from flush to frame.
// No ssh, no daemons, no generator sharing the loop: a figure a loaded machine stretches least (the full path with
// proxies is hosts.fleet's frame and CPU figures).
import { median, percentile, round } from '../stats.js';
import { createFleetStore } from '../../src/ui/fleet-store.js';
import { demoRecording } from '../../src/feeds/demo-feed.js';
import { recordingController } from '../../src/ui/feed.js';
import { initialUi } from '../../src/ui/ui-state.js';
import type { ViewId } from '../../src/ui/keymap.js';

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

async function viewFrames(view: ViewId, hosts: number, frames: number): Promise<{ p50: number; p95: number; reduceP50: number }> {
  process.env.NODE_ENV ??= 'production';
  const [{ default: React }, { render }, { default: App }] = await Promise.all([
    import('react'), import('ink-testing-library'), import('../../src/components/App.js')]);
  const rec = demoRecording();
  const names = Array.from({ length: hosts }, (_, i) => `h${String(i).padStart(2, '0')}`);
  const store = createFleetStore(names.map((name) => ({ name, maxJobs: 4 })), { frameMs: 0 });
  for (const n of names) store.host(n).link('connected', 'bench');
  const app = render(React.createElement(App, { store, controller: recordingController('demo'), onQuit: () => {}, size: { columns: 160, rows: 50 },
    initial: { ...initialUi, view } }));
  // Each host somewhere else in the capture, so their rows differ; a host at the end starts it again.
  const at = names.map((_, i) => (i * 97) % rec.events.length);
  const cpu: number[] = [];
  const reduce: number[] = [];
  // 10 frames first, untimed: a new process's first frames run unoptimized code.
  for (let f = -10; f < frames; f++) {
    const c0 = cpuMs();
    for (const [i, n] of names.entries()) {
      store.host(n).events(rec.events.slice(at[i], at[i]! + 33));
      at[i] = at[i]! + 33 >= rec.events.length ? 0 : at[i]! + 33;
    }
    const c1 = cpuMs();
    const before = app.frames.length;
    store.flush();
    while (app.frames.length === before) await new Promise((r) => setImmediate(r));
    if (f >= 0) { cpu.push(cpuMs() - c1); reduce.push(c1 - c0); }
  }
  app.unmount();
  return { p50: round(median(cpu), 2), p95: round(percentile(cpu, 95), 2), reduceP50: round(median(reduce), 2) };
}

export async function fleetFrames(log: (l: string) => void, hosts = 20, frames = 100): Promise<Record<string, Record<string, number>>> {
  const p50: Record<string, number> = {};
  const p95: Record<string, number> = {};
  for (const view of ['process', 'builder', 'eagle', 'jobs'] as ViewId[]) {
    const r = await viewFrames(view, hosts, frames);
    p50[view] = r.p50;
    p95[view] = r.p95;
    log(`${hosts} hosts replaying the real capture at 1,000 events/s each, ${view} at 160x50: frame CPU p50 ${r.p50} ms, p95 ${r.p95} ms (taking in a frame's ${hosts}x33 events: CPU p50 ${r.reduceP50} ms)`);
  }
  return { replayFrameCpuP50Ms: p50, replayFrameCpuP95Ms: p95 };
}
