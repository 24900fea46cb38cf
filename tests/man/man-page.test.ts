// The man page is generated from the commands, the key table and the manual: regenerating it must give the
// checked-in man/nix-btm.1, and every flag `--help` shows must be in it, so the three never disagree.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers.js';

const BIN = join(root, 'bin', 'nix-btm');
const PAGE = join(root, 'man', 'nix-btm.1');
const COMMANDS = ['', 'daemon', 'run', 'feed', 'status', 'replay', 'history', 'stats'];

const run = (cmd: string, args: string[], input?: string): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', input, env: { ...process.env, COLUMNS: '100' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** The page's text with roff's escaped dashes made plain again. */
const pageText = (): string => readFileSync(PAGE, 'utf8').replace(/\\-/g, '-');

describe('man/nix-btm.1', () => {
  it('is what scripts/gen-man.mjs makes from the current sources (else: npm run man)', () => {
    const r = run(process.execPath, ['scripts/gen-man.mjs', '--stdout']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(PAGE, 'utf8'));
  });

  it.each(COMMANDS)('has every flag that `nix-btm %s --help` shows', (command) => {
    const r = run(process.execPath, [BIN, ...(command ? [command] : []), '--help']);
    expect(r.code).toBe(0);
    const flags = new Set(r.stdout.match(/--[a-z][a-z-]*/g) ?? []);
    expect(flags.size).toBeGreaterThan(1);
    const page = pageText();
    expect([...flags].filter((f) => !page.includes(f))).toEqual([]);
  });

  it('describes every command with the text of its --help', () => {
    const plain = (text: string): string => text.replace(/\\f[BRI]|`/g, '').replace(/\s+/g, ' ');
    const help = plain(run(process.execPath, [BIN, '--help']).stdout);
    const lines = pageText().split('\n');
    const described = lines.flatMap((l, i) => (l.startsWith('.SS "') ? [plain(lines[i + 1] ?? '')] : []));
    expect(described).toHaveLength(COMMANDS.length);
    for (const text of described) expect(help).toContain(text);
  });

  it.runIf(run('sh', ['-c', 'command -v groff preconv']).code === 0)('renders with groff without a warning', () => {
    const r = run('sh', ['-c', `preconv "${PAGE}" | groff -man -Tutf8 -ww -z`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
