// `replay --store-check`: where the capture's store is this machine's, the store confirms (or refutes) each outcome
// the log suggested, through the same `drv-info` and `outputs-valid` events the daemon publishes.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { BtmEvent } from '../state/events.js';
import type { State } from '../state/model.js';
import { MAX_DRV_BYTES, outputsValid, parseDrv } from './drv-file.js';

export type StoreCheckMode = 'auto' | 'on' | 'off';
export type StoreCheck = { readonly mode: StoreCheckMode; readonly on: boolean; readonly why: string };

/** auto: on when every .drv the log names exists here (the capture was made on this machine's store). */
export function decideStoreCheck(state: State, mode: StoreCheckMode): StoreCheck {
  if (mode === 'off') return { mode, on: false, why: 'off' };
  const drvs = [...state.derivations.keys()];
  if (mode === 'on') return { mode, on: true, why: 'asked for' };
  if (drvs.length === 0) return { mode, on: false, why: 'the log names no derivation' };
  const missing = drvs.filter((p) => !existsSync(p)).length;
  return missing === 0 ? { mode, on: true, why: 'every drv path in the log exists here' }
    : { mode, on: false, why: `${missing} of ${drvs.length} drv paths in the log are not in this store` };
}

/** The events that confirm the log's outcomes from the store: each drv's outputs, then whether they are valid. */
export function storeCheckEvents(state: State): BtmEvent[] {
  const events: BtmEvent[] = [];
  const outputsOf = new Map<string, Record<string, string>>();
  for (const d of state.derivations.values()) {
    let outputs = d.outputs;
    if (!outputs && existsSync(d.drvPath)) {
      const parsed = readSmall(d.drvPath);
      if (parsed) {
        const r = parseDrv(parsed, d.drvPath);
        if (r.ok) { events.push({ kind: 'drv-info', at: null, info: r.info }); outputs = r.info.outputs; }
      }
    }
    if (outputs && d.status !== 'running' && d.status !== 'planned' && d.status !== 'waiting') outputsOf.set(d.drvPath, { ...outputs });
  }
  const invalid = invalidPaths([...outputsOf.values()].flatMap((o) => Object.values(o)));
  for (const [drvPath, outputs] of outputsOf) {
    const paths = Object.values(outputs);
    const valid = invalid === null ? outputsValid(outputs) : paths.length > 0 && paths.every((p) => !invalid.has(p));
    events.push({ kind: 'outputs-valid', at: null, drvPath, valid });
  }
  return events;
}

function readSmall(path: string): string | null {
  try {
    const text = readFileSync(path, 'utf8');
    return text.length <= MAX_DRV_BYTES ? text : null;
  } catch {
    return null;
  }
}

/** `nix-store --check-validity --print-invalid` in batches; null when nix-store cannot answer (then: mtimes). */
function invalidPaths(paths: readonly string[]): Set<string> | null {
  const out = new Set<string>();
  try {
    for (let i = 0; i < paths.length; i += 1000) {
      const batch = paths.slice(i, i + 1000);
      const text = execFileSync('nix-store', ['--check-validity', '--print-invalid', ...batch], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 });
      for (const p of text.split('\n')) if (p !== '') out.add(p);
    }
    return out;
  } catch {
    return null;
  }
}
