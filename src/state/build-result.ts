// Determinate Nix's BuildResult (result type 110): an explicit per-build outcome, `payload` = the KeyedBuildResult
// JSON of its build-result.cc (`success`, `status` "Built" | "Substituted" | "AlreadyValid" | "PermanentFailure" |
// "TimedOut" | "DependencyFailed" | ..., `errorMsg`, `isNonDeterministic`, `path`: {drvPath, outputs}). No Determinate
// Nix runs here: this follows its source, and the tests feed records they build themselves (named as synthetic).
import type { At, SourceId } from './events.js';
import type { DerivationStatus } from './model.js';
import type { Draft } from './derivations.js';
import { nameOutcome } from './attribution.js';

// Maps, not object literals: the status is any peer's text, and "constructor" or "__proto__" would find
// Object.prototype's members (a derivation whose status is a function, which a snapshot's JSON then drops).
const SUCCESS: ReadonlyMap<string, DerivationStatus> = new Map([
  ['Built', 'built'], ['Substituted', 'substituted'], ['AlreadyValid', 'valid'], ['ResolvesToAlreadyValid', 'valid'],
]);
const NOT_FAILED: ReadonlyMap<string, DerivationStatus> = new Map([['DependencyFailed', 'cancelled'], ['Cancelled', 'cancelled']]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The drv a payload names: `path.drvPath` as a string, or `{path: ...}` in newer versions, absolute or a base name. */
function payloadDrv(payload: Record<string, unknown>, storeDir: string): string | null {
  const path = payload['path'];
  let drv: unknown = isObject(path) ? path['drvPath'] : null;
  if (isObject(drv)) drv = drv['path'] ?? drv['drvPath'];
  if (typeof drv !== 'string' || !drv.endsWith('.drv') || drv.length > 4096) return null;
  return drv.startsWith('/') ? drv : `${storeDir}/${drv}`;
}

/**
 * Applies a BuildResult to the build it is about: the activity's drv when it is a Build activity, else the
 * payload's own path. Anything malformed is ignored (counted as an unknown record by the caller's type check).
 */
export function onBuildResult(d: Draft, source: SourceId, activityDrv: string | null, payload: unknown, at: At): void {
  if (!isObject(payload) || typeof payload['status'] !== 'string') return;
  const drvPath = activityDrv ?? payloadDrv(payload, '/nix/store');
  if (drvPath === null) return;
  const status = payload['status'];
  if (payload['success'] === true) {
    const outcome = SUCCESS.get(status);
    if (outcome) nameOutcome(d, source, drvPath, outcome, at, { reason: outcome === 'built' ? null : status });
    return;
  }
  const errorMsg = typeof payload['errorMsg'] === 'string' ? payload['errorMsg'].slice(0, 8192) : '';
  const reason = errorMsg !== '' ? `${status}: ${errorMsg}` : status;
  nameOutcome(d, source, drvPath, NOT_FAILED.get(status) ?? 'failed', at, { reason });
}
