// The real UI (runUi: Ink, the changed-lines writer, the terminal) in a pty, fed a scripted stream, for the output
// bench: `idle` = a quiet machine after a build (one scan a second, time moving on: ELAPSED cells tick), `row` =
// exactly one row changing per frame (one process's CPU% and CPU time, 5 frames a second, the clock held still).
//   node dist/bench/ui/pty-child.js idle|row
import type { BtmEvent, ProcessInfo } from '../../src/state/events.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { demoRecording } from '../../src/feeds/demo-feed.js';
import { recordingController, type Feed } from '../../src/ui/feed.js';
import { runUi } from '../../src/commands/run-ui.js';

process.env.NODE_ENV ??= 'production';
const mode = process.argv[2] === 'row' ? 'row' : 'idle';
const rec = demoRecording();
let state = initialState();
// 3 s into the recorded build: its processes; `idle` keeps only the nix-daemon (a quiet machine after a build).
for (const e of rec.events) { if ((e.at ?? 0) > rec.startAt + 3000) break; state = reduce(state, e); }
const base: ProcessInfo[] = mode === 'row' ? [...state.processes] : state.processes.filter((p) => p.role === 'nix-daemon');
const at0 = state.now ?? 0;

const feed: Feed = {
  start(sink) {
    sink.reset(state);
    sink.status({ kind: 'connected', detail: 'output bench' });
    let k = 0;
    // The row that changes: the first one the Process view shows (the nix-daemon), not a hidden non-Nix process.
    const changing = base.findIndex((p) => p.role !== 'other');
    const tick = (): void => {
      k++;
      const processes = mode === 'row'
        ? base.map((p, i) => (i === changing ? { ...p, cpuPercent: (k % 50) / 10, cpuTimeMs: (p.cpuTimeMs ?? 0) + k * 10 } : p))
        : base;
      const event: BtmEvent = { kind: 'proc-scan', at: mode === 'row' ? at0 : at0 + k * 1000, processes, host: state.host };
      sink.events([event]);
    };
    const timer = setInterval(tick, mode === 'row' ? 200 : 1000);
    return () => clearInterval(timer);
  },
};

await runUi({ feed, controller: recordingController('demo'), mouse: true, manual: [] });
