// Builder process -> derivation. Nix sets no drvPath variable, so a builder is tied through its environment:
// its output paths (`out`, and each name listed in `outputs`) against known .drv outputs, else the drv name in
// NIX_BUILD_TOP (`/tmp/nix-build-<name>.drv-<n>`) or `name`. /proc/PID/environ of a build user needs root.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { MAX_DRV_BYTES, parseDrv } from './drv-file.js';

/** A derivation the daemon knows: from drv-info (outputs known) or only from a Build activity (outputs null). */
export type DrvCandidate = {
  readonly drvPath: string;
  readonly outputs: Readonly<Record<string, string>> | null;
  readonly name: string;
  /**
   * The processes of the sources that started its build, as the kernel named them (SO_PEERCRED, or the Nix child of
   * `nix-btm run`): a builder under one of them (a json-log-path worker, a local-store Nix) is theirs to build.
   */
  readonly owners?: readonly number[];
};

const NO_ANCESTORS: ReadonlySet<number> = new Set();

export type Environ = ReadonlyMap<string, string>;

/** NUL-separated `KEY=VALUE` entries; an entry without `=` is kept with an empty value; the first of a key wins. */
export function parseEnviron(raw: Buffer | string): Map<string, string> {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const env = new Map<string, string>();
  for (const entry of text.split('\0')) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    if (!env.has(key)) env.set(key, eq < 0 ? '' : entry.slice(eq + 1));
  }
  return env;
}

/** The environment the process started with; null when it vanished or we may not read it (not root, not the owner). */
export function readEnviron(pid: number, procRoot = '/proc'): Map<string, string> | null {
  try {
    return parseEnviron(readFileSync(`${procRoot}/${pid}/environ`));
  } catch {
    return null;
  }
}

/** Output paths the builder will write: `out` and every name in `outputs` (set for multi-output derivations). */
export function builderOutputPaths(env: Environ): string[] {
  const names = (env.get('outputs') ?? 'out').split(/\s+/).filter(Boolean);
  if (!names.includes('out')) names.push('out');
  const paths: string[] = [];
  for (const n of names) {
    const p = env.get(n);
    if (p !== undefined && p.startsWith('/')) paths.push(p);
  }
  return paths;
}

/** `<name>.drv` as NIX_BUILD_TOP spells it (Nix: "nix-build-" + drvPath.name() + "-<n>"), else from `name`. */
export function builderDrvName(env: Environ): string | null {
  const top = env.get('NIX_BUILD_TOP') ?? '';
  const m = /(?:^|\/)nix-build-(.+\.drv)-\d+$/.exec(top);
  if (m?.[1]) return m[1];
  const name = env.get('name');
  return name ? `${name}.drv` : null;
}

/** `/nix/store/<hash>-<name>.drv` -> `<name>.drv`. */
export function drvStoreName(drvPath: string): string {
  const base = drvPath.slice(drvPath.lastIndexOf('/') + 1);
  const dash = base.indexOf('-');
  return dash >= 0 ? base.slice(dash + 1) : base;
}

/**
 * Pure. An output path match wins. Otherwise the drv name must match exactly one candidate, leaving out candidates
 * whose known outputs differ from the builder's (same name, other derivation); and a name alone ties a builder only
 * to a derivation started by a process above it (`ancestors`: its nix-daemon worker, or the Nix that forked it):
 * another user's build of the same name, which no log names, would otherwise be taken for the logged one (and its
 * row's K would signal that user's build). Such a builder waits for its derivation's outputs (read from the store
 * soon after the log names it), or is found in the store.
 */
export function tieBuilder(env: Environ, candidates: Iterable<DrvCandidate>, ancestors: ReadonlySet<number> = NO_ANCESTORS): string | null {
  const outs = new Set(builderOutputPaths(env));
  const drvName = builderDrvName(env);
  const byName = new Set<string>();
  for (const c of candidates) {
    const known = c.outputs ? Object.values(c.outputs) : [];
    if (known.some((p) => outs.has(p))) return c.drvPath;
    const differs = outs.size > 0 && known.length > 0 && known.every((p) => p !== '');
    if (!differs && drvName !== null && (drvStoreName(c.drvPath) === drvName || `${c.name}.drv` === drvName)
      && (outs.size === 0 || (c.owners ?? []).some((pid) => ancestors.has(pid)))) {
      byName.add(c.drvPath);
    }
  }
  if (byName.size !== 1) return null;
  const [only] = byName;
  return only ?? null;
}

type Tie = { readonly startedAt: number; readonly env: Environ | null; drvPath: string | null; storeTried: boolean };

/**
 * A build the log never named (not streamed to the daemon): its .drv is in the store as `<hash>-<name>.drv`; the
 * one whose outputs are the builder's is it. The store dir is listed once per such builder, never per scan.
 */
export function tieFromStore(env: Environ, storeDirs: readonly string[] = ['/nix/store']): string | null {
  for (const dir of storeDirs) {
    const found = tieFromStoreDir(env, dir);
    if (found !== null) return found;
  }
  return null;
}

function tieFromStoreDir(env: Environ, storeDir: string): string | null {
  const drvName = builderDrvName(env);
  const outs = new Set(builderOutputPaths(env));
  if (drvName === null || outs.size === 0 || drvName.includes('/')) return null;
  let names: string[];
  try { names = readdirSync(storeDir); } catch { return null; }
  for (const base of names) {
    if (base.length !== 33 + drvName.length || !base.endsWith(drvName) || base[32] !== '-') continue;
    const drvPath = `${storeDir}/${base}`;
    try {
      const st = lstatSync(drvPath);
      if (!st.isFile() || st.size > MAX_DRV_BYTES) continue;
      const parsed = parseDrv(readFileSync(drvPath, 'utf8'), drvPath);
      if (parsed.ok && Object.values(parsed.info.outputs).some((p) => outs.has(p))) return drvPath;
    } catch { /* vanished or unreadable: not it */ }
  }
  return null;
}

/** Per-builder cache: environ is read once per pid + start time; the tie is retried each scan until it holds. */
export type BuilderTies = {
  /** `ancestors`: the builder's parent, its parent, and so on (tieBuilder). */
  tie(pid: number, startedAt: number, candidates: () => Iterable<DrvCandidate>, ancestors?: ReadonlySet<number>): string | null;
  environ(pid: number): Environ | null;
  /** Forgets builders not in `alive`. */
  prune(alive: ReadonlySet<number>): void;
};

export function createBuilderTies(read: (pid: number) => Environ | null = readEnviron,
  fromStore: (env: Environ) => string | null = tieFromStore): BuilderTies {
  const ties = new Map<number, Tie>();
  return {
    tie(pid, startedAt, candidates, ancestors) {
      let t = ties.get(pid);
      // Read again until it looks like a builder's: a scan can land between Nix's fork and the builder's exec.
      if (t === undefined || t.startedAt !== startedAt || !t.env?.has('NIX_BUILD_TOP')) {
        t = { startedAt, env: read(pid), drvPath: null, storeTried: false };
        ties.set(pid, t);
      }
      if (t.drvPath === null && t.env !== null) t.drvPath = tieBuilder(t.env, candidates(), ancestors);
      if (t.drvPath === null && t.env?.has('NIX_BUILD_TOP') && !t.storeTried) {
        t.storeTried = true;
        t.drvPath = fromStore(t.env);
      }
      return t.drvPath;
    },
    environ: (pid) => ties.get(pid)?.env ?? null,
    prune(alive) {
      for (const pid of ties.keys()) if (!alive.has(pid)) ties.delete(pid);
    },
  };
}
