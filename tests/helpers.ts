// Shared test helpers: real captures and the replay pipeline.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replayFiles } from '../src/ingest/replay.js';
import type { Limits, State } from '../src/state/model.js';
import { defaultLimits } from '../src/state/model.js';
import { initialState, reduce } from '../src/state/reducer.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const fixtureDir = join(root, 'tests/fixtures/nix-2.8');
export const fixture = (name: string): string => join(fixtureDir, name);
export const fixtureLines = (name: string): string[] => readFileSync(fixture(name), 'utf8').split('\n').filter((l) => l !== '');
export const allCaptures = (): string[] => readdirSync(fixtureDir).filter((f) => f.endsWith('.jsonl')).sort();

export async function replay(paths: string[], limits: Partial<Limits> = {}): Promise<State> {
  let state = initialState({ ...defaultLimits, ...limits });
  await replayFiles(paths, (e) => { state = reduce(state, e); });
  return state;
}

/** drv name -> status, for compact assertions. */
export function statusByName(state: State): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of state.derivations.values()) out[d.name] = d.status;
  return out;
}

export const isRoot = process.getuid?.() === 0;

/**
 * For `it.runIf(asRoot('...'))`: true as root; otherwise prints why the test is skipped (what it needs root for),
 * so a run as a normal user says what it did not test. Only for tests that cannot work without root.
 */
export function asRoot(why: string): boolean {
  if (!isRoot) console.warn(`skipped, not root: ${why}`);
  return isRoot;
}
