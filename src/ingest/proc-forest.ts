// Pure: which processes form the Nix process forest, and the role of each (see docs/proc.md).
import type { ProcessRole } from '../state/events.js';

/** The facts classification needs about one process. */
export type ForestProc = {
  readonly pid: number;
  readonly ppid: number;
  /** Session id: Nix makes each builder a session leader. */
  readonly sid: number;
  readonly uid: number;
  readonly comm: string;
  /** null when not read (only Nix-looking processes need it before classification). */
  readonly argv: readonly string[] | null;
};

/** What marks a process as a build process, apart from its ancestry. */
export type BuildMarks = {
  isBuildUid(uid: number): boolean;
  /** Members of Nix build cgroups (nix-build-uid-N, nix-build-pid-N-M). */
  readonly cgroupPids: ReadonlySet<number>;
};

export type Placement = {
  readonly role: ProcessRole;
  /** The builder this process belongs to (itself for a builder), else null. */
  readonly builderPid: number | null;
  /** False only for processes listed because of `all`. */
  readonly inForest: boolean;
};

// The legacy commands and the new CLI; comm is cut at 15 characters, hence the two truncated names.
const CLIENT_NAMES = new Set([
  'nix', 'nix-build', 'nix-shell', 'nix-store', 'nix-env', 'nix-instantiate', 'nix-collect-garbage',
  'nix-copy-closure', 'nix-channel', 'nix-collect-gar', 'nix-copy-closur',
]);

const basename = (s: string): string => s.slice(s.lastIndexOf('/') + 1);

/** argv[0]'s basename when known (comm is truncated and may be a script's name), else comm. */
export function programName(p: Pick<ForestProc, 'comm' | 'argv'>): string {
  const arg0 = p.argv?.[0];
  return arg0 ? basename(arg0) : p.comm;
}

/** `nix-daemon`, or the new CLI's `nix daemon`. */
export function isDaemonProc(p: Pick<ForestProc, 'comm' | 'argv'>): boolean {
  const name = programName(p);
  return name === 'nix-daemon' || p.comm === 'nix-daemon' || (name === 'nix' && p.argv?.[1] === 'daemon');
}

export function isClientProc(p: Pick<ForestProc, 'comm' | 'argv'>): boolean {
  return !isDaemonProc(p) && (CLIENT_NAMES.has(programName(p)) || CLIENT_NAMES.has(p.comm));
}

/** `nix-btm run ...` (whatever runs the script: node, a shebang, a wrapper): its children are Nix clients. */
export function isBtmRun(p: Pick<ForestProc, 'argv'>): boolean {
  const a = p.argv ?? [];
  for (let i = 0; i < Math.min(a.length - 1, 3); i++) {
    if (basename(a[i] ?? '') === 'nix-btm' && a[i + 1] === 'run') return true;
  }
  return false;
}

/** Worth reading argv for before classifying: the name may be truncated or hide behind an interpreter. */
export const needsArgv = (comm: string): boolean => comm.startsWith('nix') || comm === 'node';

type Kind = 'daemon' | 'worker' | 'client' | 'btm-run' | 'builder' | 'other';
type Ctx = { readonly inForest: boolean; readonly builderPid: number | null; readonly parent: Kind };

function place(p: ForestProc, ctx: Ctx, marks: BuildMarks): { kind: Kind; placement: Placement | null } {
  if (ctx.builderPid !== null) {
    return { kind: 'builder', placement: { role: 'builder-child', builderPid: ctx.builderPid, inForest: true } };
  }
  // Only root runs a real nix-daemon: a user's process that calls itself one is just that user's process.
  if (isDaemonProc(p) && p.uid === 0) {
    const worker = ctx.parent === 'daemon' || ctx.parent === 'worker';
    return { kind: worker ? 'worker' : 'daemon', placement: at(worker ? 'daemon-worker' : 'nix-daemon') };
  }
  if (isClientProc(p) || ctx.parent === 'btm-run') return { kind: 'client', placement: at('client') };
  const buildMarked = marks.isBuildUid(p.uid) || marks.cgroupPids.has(p.pid);
  // Without build users the builder runs as the caller: it is still the session leader Nix started.
  const leaderUnderNix = (ctx.parent === 'worker' || ctx.parent === 'client') && p.sid === p.pid;
  if (buildMarked || leaderUnderNix) {
    return { kind: 'builder', placement: { role: 'builder', builderPid: p.pid, inForest: true } };
  }
  if (isBtmRun(p)) return { kind: 'btm-run', placement: ctx.inForest ? at('other') : null };
  return { kind: 'other', placement: ctx.inForest ? at('other') : null };
}

const at = (role: ProcessRole): Placement => ({ role, builderPid: null, inForest: true });

/**
 * Walks every tree from its root, so roles follow ancestry: a build-user process under another is a builder-child,
 * and everything below a daemon or client is in the forest. With `all`, the rest is listed as 'other'.
 */
export function classifyForest(procs: readonly ForestProc[], marks: BuildMarks, all: boolean): Map<number, Placement> {
  const byPid = new Map<number, ForestProc>();
  for (const p of procs) byPid.set(p.pid, p);
  const children = new Map<number, ForestProc[]>();
  const roots: ForestProc[] = [];
  for (const p of procs) {
    if (p.ppid === p.pid || !byPid.has(p.ppid)) roots.push(p);
    else {
      const list = children.get(p.ppid);
      if (list) list.push(p);
      else children.set(p.ppid, [p]);
    }
  }
  const out = new Map<number, Placement>();
  const seen = new Set<number>();
  const top: Ctx = { inForest: false, builderPid: null, parent: 'other' };
  const walk = (root: ForestProc): void => {
    const stack: Array<[ForestProc, Ctx]> = [[root, top]];
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const [p, ctx] = item;
      if (seen.has(p.pid)) continue;
      seen.add(p.pid);
      const { kind, placement } = place(p, ctx, marks);
      if (placement) out.set(p.pid, placement);
      else if (all) out.set(p.pid, { role: 'other', builderPid: null, inForest: false });
      const next: Ctx = { inForest: placement !== null, builderPid: placement?.builderPid ?? null, parent: kind };
      for (const c of children.get(p.pid) ?? []) stack.push([c, next]);
    }
  };
  for (const r of roots) walk(r);
  // A parent-pid cycle (pid reuse racing the scan) leaves processes unvisited: treat each as a root.
  for (const p of procs) if (!seen.has(p.pid)) walk(p);
  return out;
}
