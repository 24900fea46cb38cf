// Where this installation of nix-btm is (a checkout, dist/, or the Nix package): the CLI's version, the binary a
// client starts a daemon with, the worker scripts and the native addon are all found from here.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding nix-btm's package.json, found by walking up from this file (src/addon or dist/src/addon). */
export function packageRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'nix-btm') return dir;
    } catch {
      // no package.json here, or not JSON: keep walking up
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the nix-btm package root above ${start}`);
  }
}
