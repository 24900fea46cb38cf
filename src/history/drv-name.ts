// Nix's DrvName (libexpr/names.cc, builtins.parseDrvName): the version starts after the first dash that is followed
// by a character that is not a letter ("python3-minimal-3.11.9" -> python3-minimal / 3.11.9). Pure.
import { storePathName } from '../state/text.js';

export type DrvName = { readonly name: string; readonly pname: string; readonly version: string };

const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

export function parseDrvName(name: string): DrvName {
  for (let i = 0; i + 1 < name.length; i++) {
    if (name[i] === '-' && !isAlpha(name[i + 1]!)) return { name, pname: name.slice(0, i), version: name.slice(i + 1) };
  }
  return { name, pname: name, version: '' };
}

/** `/nix/store/<hash>-<name>.drv` -> its store dir, hash and name; anything else: null. */
export function splitStorePath(path: string): { readonly storeDir: string; readonly hash: string; readonly name: string } | null {
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  if (slash <= 0 || base.length < 34 || base[32] !== '-') return null;
  return { storeDir: path.slice(0, slash), hash: base.slice(0, 32), name: storePathName(path) };
}
