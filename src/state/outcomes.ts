// What Nix's messages say about builds. Nix sends no per-build outcome record: failures, cancelled dependents,
// interruptions and the build plan are only in message text (see nix-facts.md "Outcomes"). Input is ANSI-stripped.
// Only Nix's own records count: every pattern is anchored at the start of the message, so a builder's log line or a
// debug record that quotes the words (`using builder args '...builder for ... failed'`) never matches.

export type MessageMeaning =
  | { readonly kind: 'build-failed'; readonly drvPath: string; readonly exitCode: number | null; readonly reason: string }
  | { readonly kind: 'dependencies-failed'; readonly drvPath: string; readonly reason: string }
  | { readonly kind: 'interrupted' }
  | { readonly kind: 'worker-crashed' }
  | { readonly kind: 'cannot-build'; readonly reason: string }
  | { readonly kind: 'plan-header'; readonly what: 'plan' | 'fetch' }
  | { readonly kind: 'plan-item'; readonly path: string }
  | { readonly kind: 'waiting'; readonly path: string | null; readonly text: string }
  /** -vvv goal traces: `building of '<drv>!out' from .drv file: <step>` and `builder process for '<drv>' finished`. */
  | { readonly kind: 'trace'; readonly drvPath: string; readonly step: TraceStep }
  | { readonly kind: 'other' };

export type TraceStep = 'created' | 'substituted' | 'inputs-realised' | 'building' | 'finished' | 'done';

const DRV = "(/[^'\\s]+\\.drv)";
// Nix 2.8-2.28: "builder for '<drv>' failed with exit code N" (daemon adds "; last N log lines: ...").
const BUILDER_FAILED = new RegExp(`^builder for '${DRV}' failed with exit code (\\d+)`);
// Killed by a signal, e.g. "builder for '<drv>' failed due to signal 9 (Killed)".
const BUILDER_SIGNAL = new RegExp(`^builder for '${DRV}' failed due to signal (\\d+)`);
// "builder for '<drv>' failed to produce output path for output 'dev' at '...'".
const NO_OUTPUT = new RegExp(`^builder for '${DRV}' failed to produce output path`);
// Nix 2.29+: "Cannot build '<drv>'.\nReason: builder failed with exit code N."
const CANNOT_BUILD = new RegExp(`^Cannot build '${DRV}'\\.\\s*Reason: (.*)`, 's');
const EXIT_CODE = /exit code (\d+)/;
// "N dependencies of derivation '<drv>' failed to build" (2.8-2.28).
const DEPS_FAILED = new RegExp(`^\\d+ dependenc(?:y|ies) of derivation '${DRV}' failed to build`);
// "building of '<drv>!out' from .drv file timed out after N seconds [of silence]" (--timeout, --max-silent-time).
const TIMED_OUT = new RegExp(`^building of '${DRV}(?:![^']*)?' from \\.drv file timed out after (\\d+) seconds?( of silence)?`);
// "hash mismatch in fixed-output derivation '<drv>':\n specified: ...\n got: ..." (kept whole).
const HASH_MISMATCH = new RegExp(`^hash mismatch in fixed-output derivation '${DRV}'`);
// --check: "derivation '<drv>' may not be deterministic: output '...' differs".
const NOT_DETERMINISTIC = new RegExp(`^derivation '${DRV}' may not be deterministic`);
const REMOTE_FAILED = new RegExp(`^build of '${DRV}' on '[^']*' failed`);
const TRACE = new RegExp(`^building of '${DRV}(?:![^']*)?' from \\.drv file: (created|all outputs substituted \\(maybe\\)|all inputs realised|trying to build|done)$`);
const FINISHED = new RegExp(`^builder process for '${DRV}' finished$`);
const PLAN = /^(?:these \d+ derivations|this derivation) will be built:/;
const FETCH = /^(?:these \d+ paths|this path) will be fetched/;
const PLAN_ITEM = /^\s+(\/\S+)$/;
const WAITING = /^waiting for (?:lock|locks|a machine|a free build user|build slots)/;
const CANNOT_START = /^unable to start any build/;

const STEPS: Readonly<Record<string, TraceStep>> = {
  created: 'created', 'all outputs substituted (maybe)': 'substituted', 'all inputs realised': 'inputs-realised',
  'trying to build': 'building', done: 'done',
};

// Cheap first look: most messages (-vvv debug chatter) match none of the above.
const WORTH_A_LOOK = /^(?:error: |\s+\/|builder|Cannot|\d+ dep|building of|hash|derivation|build of|these|this|waiting|unable|unexpected)|interrupted/;

export function interpretMessage(text: string): MessageMeaning {
  if (!WORTH_A_LOOK.test(text)) return OTHER;
  const body = text.startsWith('error: ') ? text.slice(7) : text;
  return failure(body) ?? other(text, body);
}

function failure(body: string): MessageMeaning | null {
  let m = BUILDER_FAILED.exec(body);
  if (m?.[1]) return { kind: 'build-failed', drvPath: m[1], exitCode: Number(m[2]), reason: `builder failed with exit code ${m[2]}` };
  m = BUILDER_SIGNAL.exec(body);
  if (m?.[1]) return { kind: 'build-failed', drvPath: m[1], exitCode: null, reason: `builder killed by signal ${m[2]}` };
  m = TIMED_OUT.exec(body);
  if (m?.[1]) return { kind: 'build-failed', drvPath: m[1], exitCode: null, reason: `timed out after ${m[2]} seconds${m[3] ?? ''}` };
  m = CANNOT_BUILD.exec(body);
  if (m?.[1]) return cannotBuild(m[1], m[2] ?? '');
  m = DEPS_FAILED.exec(body);
  if (m?.[1]) return { kind: 'dependencies-failed', drvPath: m[1], reason: 'a dependency failed to build' };
  // These keep Nix's whole text: the hashes, the differing output, the missing output's name.
  m = HASH_MISMATCH.exec(body) ?? NOT_DETERMINISTIC.exec(body) ?? NO_OUTPUT.exec(body) ?? REMOTE_FAILED.exec(body);
  if (m?.[1]) return { kind: 'build-failed', drvPath: m[1], exitCode: null, reason: body.trim() };
  return null;
}

function other(text: string, body: string): MessageMeaning {
  let m = TRACE.exec(body);
  if (m?.[1] && m[2]) return { kind: 'trace', drvPath: m[1], step: STEPS[m[2]] ?? 'done' };
  m = FINISHED.exec(body);
  if (m?.[1]) return { kind: 'trace', drvPath: m[1], step: 'finished' };
  if (body.startsWith('interrupted by the user')) return { kind: 'interrupted' };
  if (body.startsWith('unexpected end-of-file')) return { kind: 'worker-crashed' };
  if (CANNOT_START.test(body)) return { kind: 'cannot-build', reason: firstLine(body) };
  if (PLAN.test(body)) return { kind: 'plan-header', what: 'plan' };
  if (FETCH.test(body)) return { kind: 'plan-header', what: 'fetch' };
  m = PLAN_ITEM.exec(text);
  if (m?.[1]) return { kind: 'plan-item', path: m[1] };
  if (WAITING.test(body)) return { kind: 'waiting', path: /'(\/[^']+)'/.exec(body)?.[1] ?? null, text: body };
  return OTHER;
}

const OTHER: MessageMeaning = { kind: 'other' };

function cannotBuild(drvPath: string, reasonText: string): MessageMeaning {
  const reason = reasonText.trim().replace(/\.$/, '');
  if (/^(?:\d+ )?dependenc(?:y|ies) failed/.test(reason)) return { kind: 'dependencies-failed', drvPath, reason: firstLine(reason) };
  const code = EXIT_CODE.exec(firstLine(reason))?.[1];
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
