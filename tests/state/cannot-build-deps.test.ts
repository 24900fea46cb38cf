// Nix 2.29+ says a dependent that never ran "Cannot build '<drv>'. Reason: N dependency failed." (real 2.30.5 text,
// tests/fixtures/nix-2.30/keep-going-failure): it is not built because of another build, not a failure of its own.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpretMessage } from '../../src/state/outcomes.js';
import { stripAnsi } from '../../src/state/text.js';

const dir = 'tests/fixtures/nix-2.30/keep-going-failure';

function messages(): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.includes('"msg"') || !line.includes('Cannot build')) continue;
      out.push(stripAnsi((JSON.parse(line) as { msg: string }).msg));
    }
  }
  return out;
}

describe("Nix 2.30's Cannot build messages", () => {
  it('tells a dependency failure from a builder failure', () => {
    const msgs = messages();
    const deps = msgs.filter((m) => m.includes('dependency failed'));
    const own = msgs.filter((m) => m.includes('builder failed with exit code'));
    expect(deps.length).toBeGreaterThan(0);
    expect(own.length).toBeGreaterThan(0);
    for (const m of deps) expect(interpretMessage(m).kind, m).toBe('dependencies-failed');
    for (const m of own) expect(interpretMessage(m)).toMatchObject({ kind: 'build-failed', exitCode: 3 });
  });
});
