// One table of status marks (src/state/marks.ts): no other file of src/ spells one, so the dashboard, the widget,
// `status`/`replay` and the manual cannot disagree again (waiting was ⏳ in one place and ⧖ in another).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MARK, TRANSFER_MARK, marksLegend } from '../../src/state/marks.js';
import { root } from '../helpers.js';

const TABLE = 'src/state/marks.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

/**
 * Code without its comments (a comment may show a mark, `7/10 ✔`, without drawing one) and without the character
 * classes of the terminal-width checks (Line.tsx, line-writer.ts: which characters take one column).
 */
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
  .replace(/\/\^\[[^\]\n]*\]\*\$\/u?/g, '');

/** Every mark of the tables, and those retired (⏳ was waiting's other spelling). */
const marks = [...new Set([...Object.values(MARK), ...Object.values(TRANSFER_MARK), '⏳', '❄'])];

/** '↓' is also the down-arrow key (key names, `↑↓` hints, the network meter's `net ↓…`): a mark is '↓ ' alone. */
function spelled(text: string): string[] {
  const found = marks.filter((m) => m !== '↓' && text.includes(m));
  if (/(?<![↑/])↓ /.test(text)) found.push('↓');
  return found;
}

describe('status marks', () => {
  it('are spelled only in src/state/marks.ts', () => {
    const offenders = sources(join(root, 'src')).map((f) => relative(root, f)).filter((f) => f !== TABLE)
      .flatMap((f) => spelled(code(readFileSync(join(root, f), 'utf8'))).map((m) => `${f}: ${m}`));
    expect(offenders).toEqual([]);
  });

  it('the check finds a file that spells its own', () => {
    expect(spelled(code("const waiting = '⏳';\n"))).toEqual(['⏳']);
    expect(spelled(code('part(`⏵ ${c.running}`);\n'))).toEqual(['⏵']);
    expect(spelled(code('const m = `↓ ${n} downloads`;\n'))).toEqual(['↓']);
    expect(spelled(code("// ✔ only in a comment\nconst keys = '↑↓ choose';\nconst NARROW = /^[a-z✔⧖]*$/u;\n"))).toEqual([]);
  });

  it('one mark per status, and the manual lists each of them', () => {
    expect(new Set(Object.values(MARK)).size).toBe(Object.keys(MARK).length);
    for (const m of [...Object.values(MARK), TRANSFER_MARK.running]) expect(marksLegend()).toContain(m);
    expect(MARK.waiting).toBe('⧖');
  });
});
