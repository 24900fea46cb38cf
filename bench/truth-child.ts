// One replay in a fresh process, so its peak RSS is its own: `node truth-child.js FILE` prints {ms, listed, maxRssMiB}.
import { replayFiles } from '../src/ingest/replay.js';
import { defaultLimits } from '../src/state/model.js';
import type { State } from '../src/state/model.js';
import { initialState, reduce } from '../src/state/reducer.js';
import { stateReport } from '../src/state/report.js';

const file = process.argv[2]!;
const t0 = performance.now();
let state: State = initialState({ ...defaultLimits, finishedDerivations: Infinity });
await replayFiles([file], (e) => { state = reduce(state, e); });
const listed = stateReport(state, { logTail: 0 }).derivations.length;
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms, listed, maxRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n');
