// Process start times: the one conversion from /proc/PID/stat field 22 (clock ticks since boot) to ms since the
// epoch. The scanner records it and the signal check compares against it, so both must use the same clock ticks and
// the same boot time: pid + start time names one process across pid reuse only if the two agree exactly.
import { systemConstant } from './host-info.js';
import { parseStat, parseSystemStat } from './proc-parse.js';
import { readProcText } from './proc-read.js';

export type StartClock = {
  /** CLK_TCK (USER_HZ): ticks per second of field 22. */
  readonly clockTicks: number;
  /** btime, read once: /proc/stat recomputes it from the wall clock, so it moves when the clock is stepped. */
  readonly bootTimeMs: number;
  /** ms since the epoch of a start time in ticks since boot. */
  startedAt(startTicks: number): number;
};

export function createStartClock(clockTicks: number, bootTimeMs: number): StartClock {
  return { clockTicks, bootTimeMs, startedAt: (ticks) => Math.round(bootTimeMs + (ticks * 1000) / clockTicks) };
}

let shared: StartClock | null = null;

/** The process-wide clock (getconf CLK_TCK and btime, read on first use). */
export function startClock(): StartClock {
  shared ??= createStartClock(systemConstant('CLK_TCK', 100),
    parseSystemStat(readProcText('/proc/stat', 1 << 20) ?? '').bootTime * 1000);
  return shared;
}

/** Start time of a live process, on the shared clock; null when it is gone. */
export function processStartedAt(pid: number, clock: StartClock = startClock()): number | null {
  const text = readProcText(`/proc/${pid}/stat`, 4096);
  const stat = text === null ? null : parseStat(text);
  return stat === null ? null : clock.startedAt(stat.startTicks);
}
