// What Nix's messages say about builds. Nix sends no per-build outcome record: failures, cancelled dependents,
// interruptions and the build plan are only in message text (see nix-facts.md "Outcomes"). Input is ANSI-stripped.

export type MessageMeaning =
  | { readonly kind: 'build-failed'; readonly drvPath: string; readonly exitCode: number | null; readonly reason: string }
  | { readonly kind: 'dependencies-failed'; readonly drvPath: string; readonly reason: string }
  | { readonly kind: 'interrupted' }
  | { readonly kind: 'plan-header'; readonly what: 'plan' | 'fetch' }
  | { readonly kind: 'plan-item'; readonly path: string }
  | { readonly kind: 'waiting'; readonly path: string | null; readonly text: string }
  | { readonly kind: 'other' };

const DRV = "(/[^'\\s]+\\.drv)";
// Nix 2.8-2.28: "builder for '<drv>' failed with exit code N" (daemon adds "; last N log lines: ...").
const BUILDER_FAILED = new RegExp(`builder for '${DRV}' failed with exit code (\\d+)`);
// Killed by a signal, e.g. "builder for '<drv>' failed due to signal 9 (Killed)".
const BUILDER_SIGNAL = new RegExp(`builder for '${DRV}' failed due to signal (\\d+)`);
// Nix 2.29+: "Cannot build '<drv>'.\nReason: builder failed with exit code N."
const CANNOT_BUILD = new RegExp(`Cannot build '${DRV}'\\.\\s*Reason: (.*)`, 's');
const EXIT_CODE = /exit code (\d+)/;
// "N dependencies of derivation '<drv>' failed to build" (2.8-2.28).
const DEPS_FAILED = new RegExp(`dependenc(?:y|ies) of derivation '${DRV}' failed to build`);
// Fixed-output hash mismatch and remote build failures also fail the derivation.
const HASH_MISMATCH = new RegExp(`hash mismatch in fixed-output derivation '${DRV}'`);
const REMOTE_FAILED = new RegExp(`build of '${DRV}' on '[^']*' failed`);
const PLAN = /^(?:these \d+ derivations|this derivation) will be built:/;
const FETCH = /^(?:these \d+ paths|this path) will be fetched/;
const PLAN_ITEM = /^\s+(\/\S+)$/;
const WAITING = /^waiting for (?:lock|locks|a machine|a free build user|build slots)/;

// Cheap first look: most messages (-vvv debug chatter) match none of the above.
const WORTH_A_LOOK = /failed|Cannot build|interrupted|will be|waiting for|^\s+\//;

export function interpretMessage(text: string): MessageMeaning {
  if (!WORTH_A_LOOK.test(text)) return OTHER;
  const body = text.startsWith('error: ') ? text.slice(7) : text;
  let m = BUILDER_FAILED.exec(body);
  if (m?.[1]) return { kind: 'build-failed', drvPath: m[1], exitCode: Number(m[2]), reason: `builder failed with exit code ${m[2]}` };
  m = BUILDER_SIGNAL.exec(body);
  if (m?.[1]) return { kind: 'build-failed', drvPath: m[1], exitCode: null, reason: `builder killed by signal ${m[2]}` };
  m = CANNOT_BUILD.exec(body);
  if (m?.[1]) return cannotBuild(m[1], m[2] ?? '');
  m = DEPS_FAILED.exec(body);
  if (m?.[1]) return { kind: 'dependencies-failed', drvPath: m[1], reason: 'a dependency failed to build' };
  m = HASH_MISMATCH.exec(body) ?? REMOTE_FAILED.exec(body);
  if (m?.[1]) return { kind: 'build-failed', drvPath: m[1], exitCode: null, reason: firstLine(body) };
  if (body.includes('interrupted by the user')) return { kind: 'interrupted' };
  if (PLAN.test(body)) return { kind: 'plan-header', what: 'plan' };
  if (FETCH.test(body)) return { kind: 'plan-header', what: 'fetch' };
  m = PLAN_ITEM.exec(text);
  if (m?.[1]) return { kind: 'plan-item', path: m[1] };
  if (WAITING.test(body)) return { kind: 'waiting', path: /'(\/[^']+)'/.exec(body)?.[1] ?? null, text: body };
  return OTHER;
}

const OTHER: MessageMeaning = { kind: 'other' };

function cannotBuild(drvPath: string, reasonText: string): MessageMeaning {
  const reason = firstLine(reasonText).replace(/\.$/, '');
  if (/dependenc(?:y|ies) failed/.test(reason)) return { kind: 'dependencies-failed', drvPath, reason };
  const code = EXIT_CODE.exec(reason)?.[1];
  return { kind: 'build-failed', drvPath, exitCode: code === undefined ? null : Number(code), reason };
}

const firstLine = (s: string): string => s.split('\n', 1)[0]?.trim() ?? '';

export type Severity = 'error' | 'warning' | null;

/** Errors and warnings by their text: through the daemon every relayed message arrives at level 0. */
export function severityOf(text: string): Severity {
  if (text.startsWith('error:') || text.startsWith('error (ignored):')) return 'error';
  if (text.startsWith('warning:')) return 'warning';
  return null;
}
