// The size of a build's outputs on disk, walked with lstat (bounded), in the history worker: never on the event path.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const MAX_ENTRIES = 100_000;

export function outputBytes(paths: readonly string[]): number | null {
  let total = 0;
  let seen = 0;
  const stack = [...paths];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (++seen > MAX_ENTRIES) return null;
    let st;
    try { st = lstatSync(p); } catch { return null; }
    total += st.size;
    if (st.isDirectory()) {
      try { for (const e of readdirSync(p)) stack.push(join(p, e)); } catch { return null; }
    }
  }
  return total;
}
