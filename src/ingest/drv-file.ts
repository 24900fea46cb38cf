// .drv files (world-readable ATerm in the store) -> DrvInfo, and whether a derivation's outputs are really in the store.
// The daemon (root) reads a .drv because a peer named it: only real .drv files of the store are opened, never a
// FIFO, a device, a symlink or a file a user wrote, and parsing yields to the event loop (src/ingest/aterm.ts).
import { execFile } from 'node:child_process';
import { constants, lstatSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { DrvInfo } from '../state/events.js';
import { parseATerm, parseATermAsync, type ATerm, type ATermParse } from './aterm.js';
import { drvStoreName } from './builder-map.js';

export type DrvParse = { readonly ok: true; readonly info: DrvInfo } | { readonly ok: false; readonly reason: string };

/** Larger than any real .drv we know of (big builder scripts run to a few hundred KB); bounds work per peer claim. */
export const MAX_DRV_BYTES = 4 * 1024 * 1024;

/** Nix's base-32 alphabet (no e, o, u, t) and the characters a store path name may hold (Nix's checkName). */
const STORE_DRV_NAME = /^[0-9abcdfghijklmnpqrsvwxyz]{32}-[A-Za-z0-9+\-_?=][A-Za-z0-9+\-._?=]*\.drv$/;

/** Where .drv files may be read and who must own them (Nix's store belongs to root; a single-user store to its user). */
export type DrvSource = { readonly storeDirs: readonly string[]; readonly owners: readonly number[] };

/** /nix/store and $NIX_STORE_DIR; owned by root or by this process's user. */
export function defaultDrvSource(env: NodeJS.ProcessEnv = process.env): DrvSource {
  const dirs = ['/nix/store', ...(env.NIX_STORE_DIR ? [env.NIX_STORE_DIR.replace(/\/+$/, '')] : [])];
  return { storeDirs: [...new Set(dirs)], owners: [...new Set([0, process.getuid?.() ?? 0])] };
}

/** Why `path` is not `<storeDir>/<32 base-32 chars>-<name>.drv` for one of the store dirs, or null when it is. */
export function notAStoreDrv(path: string, storeDirs: readonly string[]): string | null {
  const slash = path.lastIndexOf('/');
  if (!storeDirs.includes(path.slice(0, slash))) return `not in the store (${storeDirs.join(', ')})`;
  if (!STORE_DRV_NAME.test(path.slice(slash + 1))) return 'not a store derivation name (<hash>-<name>.drv)';
  return null;
}

/**
 * `Derive(outputs, inputDrvs, inputSrcs, system, builder, args, env)`, or `DrvWithVersion(version, ...same)`
 * (dynamic derivations, where an input drv maps to `(outputs, dynamicOutputs)` instead of a list). Total.
 */
export function parseDrv(text: string, drvPath: string): DrvParse {
  return drvFromTerm(parseATerm(text), drvPath);
}

function drvFromTerm(parsed: ATermParse, drvPath: string): DrvParse {
  if (!parsed.ok) return { ok: false, reason: `not an ATerm: ${parsed.reason}` };
  const t = parsed.term;
  if (t.kind !== 'app' || (t.name !== 'Derive' && t.name !== 'DrvWithVersion')) {
    return { ok: false, reason: `not a derivation: top term is ${t.kind === 'app' ? t.name : 'a ' + t.kind}` };
  }
  const f = t.name === 'DrvWithVersion' ? t.args.slice(1) : t.args;
  if (f.length !== 7) return { ok: false, reason: `not a derivation: ${t.name} with ${t.args.length} fields` };
  const [outs, inputs, , system, , , envList] = f;
  const outputs = pairs(outs);
  if (outputs === null) return { ok: false, reason: 'outputs: expected a list of ("name","path",...) tuples' };
  const env = pairs(envList);
  if (env === null) return { ok: false, reason: 'env: expected a list of ("name","value") tuples' };
  const inputDrvs = firsts(inputs);
  if (inputDrvs === null) return { ok: false, reason: 'inputDrvs: expected a list of ("path",...) tuples' };
  if (system?.kind !== 'str') return { ok: false, reason: 'system: expected a string' };
  const name = env.get('name') ?? drvStoreName(drvPath).replace(/\.drv$/, '');
  return { ok: true, info: { drvPath, name, outputs: Object.fromEntries(outputs), inputDrvs, system: system.value } };
}

/** Tuples whose first two items are strings -> first -> second. */
function pairs(term: ATerm | undefined): Map<string, string> | null {
  if (term?.kind !== 'list') return null;
  const out = new Map<string, string>();
  for (const item of term.items) {
    if (item.kind !== 'tuple') return null;
    const [k, v] = item.items;
    if (k?.kind !== 'str' || v?.kind !== 'str') return null;
    out.set(k.value, v.value);
  }
  return out;
}

function firsts(term: ATerm | undefined): string[] | null {
  if (term?.kind !== 'list') return null;
  const out: string[] = [];
  for (const item of term.items) {
    const first = item.kind === 'tuple' ? item.items[0] : undefined;
    if (first?.kind !== 'str') return null;
    out.push(first.value);
  }
  return out;
}

export type DrvReader = { read(drvPath: string): Promise<DrvParse> };

/** .drv files never change, so good parses are kept (the oldest dropped past `capacity`); failures are retried. */
export function createDrvReader(capacity = 1024, source: DrvSource = defaultDrvSource()): DrvReader {
  const cache = new Map<string, Promise<DrvParse>>();
  return {
    read(drvPath) {
      const hit = cache.get(drvPath);
      if (hit) return hit;
      const pending = readAndParse(drvPath, source);
      cache.set(drvPath, pending);
      if (cache.size > capacity) cache.delete(cache.keys().next().value as string);
      void pending.then((r) => { if (!r.ok) cache.delete(drvPath); });
      return pending;
    },
  };
}

/**
 * Opens without following a symlink and without blocking (O_NONBLOCK: a FIFO would block open() and read()
 * forever), then judges the open file itself: a regular file, owned by the store's owner, at most MAX_DRV_BYTES.
 */
async function readAndParse(drvPath: string, source: DrvSource): Promise<DrvParse> {
  const wrongPath = notAStoreDrv(drvPath, source.storeDirs);
  if (wrongPath !== null) return { ok: false, reason: wrongPath };
  let text: string;
  try {
    const file = await open(drvPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const s = await file.stat();
      if (!s.isFile()) return { ok: false, reason: 'not a regular file' };
      if (!source.owners.includes(s.uid)) return { ok: false, reason: `owned by uid ${s.uid}, not by the store's owner` };
      if (s.size > MAX_DRV_BYTES) return { ok: false, reason: `too big: ${s.size} bytes (limit ${MAX_DRV_BYTES})` };
      // One byte more than allowed, so a file that grew after the stat is noticed rather than cut.
      const buf = Buffer.alloc(Math.min(s.size, MAX_DRV_BYTES) + 1);
      const { bytesRead } = await file.read(buf, 0, buf.length, 0);
      if (bytesRead > MAX_DRV_BYTES) return { ok: false, reason: `too big: more than ${MAX_DRV_BYTES} bytes` };
      text = buf.toString('utf8', 0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (err) {
    return { ok: false, reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  return drvFromTerm(await parseATermAsync(text), drvPath);
}

const defaultReader = createDrvReader();

/** Reads and parses a .drv, through a shared cache. Never rejects. */
export const readDrv = (drvPath: string): Promise<DrvParse> => defaultReader.read(drvPath);

/** Nix sets every registered store path's mtime to 1 s past the epoch (canonicalisePathMetaData). */
const STORE_MTIME_MS = 1000;

/**
 * "Built" without asking Nix: every output exists AND has the store's canonical mtime. Existence alone is not enough:
 * a failed build with sandbox = false leaves its output on disk, unregistered (seen with Nix 2.8).
 */
export function outputsValid(outputs: Readonly<Record<string, string>>): boolean {
  const paths = Object.values(outputs);
  if (paths.length === 0) return false;
  for (const path of paths) {
    if (path === '') return false;
    try {
      if (lstatSync(path).mtimeMs !== STORE_MTIME_MS) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Asks the store itself (`nix-store --check-validity --print-invalid`): true/false, or null when Nix cannot say. */
export function checkValidity(paths: readonly string[], nixStore = 'nix-store'): Promise<boolean | null> {
  if (paths.length === 0 || paths.some((p) => p === '')) return Promise.resolve(paths.length === 0 ? null : false);
  return new Promise((resolve) => {
    execFile(nixStore, ['--check-validity', '--print-invalid', ...paths], { timeout: 30_000 }, (err, stdout) => {
      if (err) resolve(null);
      else resolve(stdout.trim() === '');
    });
  });
}
