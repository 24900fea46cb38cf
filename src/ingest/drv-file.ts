// .drv files (world-readable ATerm in the store) -> DrvInfo, and whether a derivation's outputs are really in the store.
import { execFile } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { DrvInfo } from '../state/events.js';
import { parseATerm, type ATerm } from './aterm.js';
import { drvStoreName } from './builder-map.js';

export type DrvParse = { readonly ok: true; readonly info: DrvInfo } | { readonly ok: false; readonly reason: string };

/** Larger than any real .drv (big builder scripts run to a few MB); guards against reading a wrong file whole. */
export const MAX_DRV_BYTES = 64 * 1024 * 1024;

/**
 * `Derive(outputs, inputDrvs, inputSrcs, system, builder, args, env)`, or `DrvWithVersion(version, ...same)`
 * (dynamic derivations, where an input drv maps to `(outputs, dynamicOutputs)` instead of a list). Total.
 */
export function parseDrv(text: string, drvPath: string): DrvParse {
  const parsed = parseATerm(text);
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
export function createDrvReader(capacity = 1024): DrvReader {
  const cache = new Map<string, Promise<DrvParse>>();
  return {
    read(drvPath) {
      const hit = cache.get(drvPath);
      if (hit) return hit;
      const pending = readAndParse(drvPath);
      cache.set(drvPath, pending);
      if (cache.size > capacity) cache.delete(cache.keys().next().value as string);
      void pending.then((r) => { if (!r.ok) cache.delete(drvPath); });
      return pending;
    },
  };
}

async function readAndParse(drvPath: string): Promise<DrvParse> {
  try {
    const s = await stat(drvPath);
    if (!s.isFile()) return { ok: false, reason: 'not a regular file' };
    if (s.size > MAX_DRV_BYTES) return { ok: false, reason: `too big: ${s.size} bytes` };
    return parseDrv(await readFile(drvPath, 'utf8'), drvPath);
  } catch (err) {
    return { ok: false, reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
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
