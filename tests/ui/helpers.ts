// Test helpers: the UI's state built by replaying the real demo capture (tests/fixtures/nix-2.8/) through the reducer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import type { Recording } from '../../src/feeds/demo-timeline.js';
import { buildRecording } from '../../src/feeds/demo-timeline.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'nix-2.8');
export const LOG = readFileSync(join(FIXTURES, 'log-daemon-root-dag-success.jsonl'), 'utf8');
export const PS = readFileSync(join(FIXTURES, 'ps-daemon-root-dag-success.txt'), 'utf8');

export const HOST = { hostname: 'recorded build', nixVersion: '2.8.0', cpuPercent: [], memTotalBytes: 0, memUsedBytes: 0, load: [0, 0, 0] as const };

let cached: Recording | null = null;

/** The demo recording, built once. */
export function recording(): Recording {
  cached ??= buildRecording({ log: LOG, ps: PS, source: 'demo:log-daemon-root-dag-success.jsonl', host: HOST, startAt: 0 });
  return cached;
}

/** The state `ms` into the recorded run (Infinity: the end). */
export function stateAt(ms: number): State {
  const rec = recording();
  let s = initialState();
  for (const e of rec.events) {
    if ((e.at ?? 0) > rec.startAt + ms) break;
    s = reduce(s, e);
  }
  return s;
}

export const tick = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for what a key did to reach the screen, however loaded the machine: a new frame after `framesBefore`
 * (up to `maxWaitMs`; a key may change nothing), then no further frame for `quietMs`.
 */
export async function settled(app: { readonly frames: readonly string[] }, framesBefore: number, maxWaitMs = 1000, quietMs = 40): Promise<void> {
  const start = Date.now();
  while (app.frames.length <= framesBefore && Date.now() - start < maxWaitMs) await tick(5);
  let seen = app.frames.length;
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs && Date.now() - start < maxWaitMs * 5) {
    await tick(5);
    if (app.frames.length !== seen) { seen = app.frames.length; quietSince = Date.now(); }
  }
}
