// htop's habits in a real terminal (tmux): F-keys, the sort picker, search, SGR mouse reports typed into the pane
// as a terminal sends them (send-keys -l), every size from 40x12 to 250x70 drawn whole, and the terminal given back
// with mouse reporting off on every way out (q, F10, Ctrl-C, SIGTERM).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tmuxScreen, type ScreenMatch } from './tmux-screen.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'nix-btm');
const SESSION = `nix-btm-habits-${process.pid}`;
const term = tmuxScreen(SESSION, { pollMs: 100 });
const { tmux, screen } = term;

const flag = (name: string): string => tmux('display-message', '-p', '-t', SESSION, `#{${name}}`).trim();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const lines = (s: string): string[] => s.replace(/\n$/, '').split('\n');

const waitFor = (test: ScreenMatch, timeoutMs = 15_000): Promise<string> => term.waitScreen(test, timeoutMs);

async function keys(...k: string[]): Promise<void> {
  for (const key of k) { tmux('send-keys', '-t', SESSION, key); await sleep(200); }
}
/** A mouse press and release at a 1-based cell, as SGR 1006 reports it. */
async function click(x: number, y: number): Promise<void> {
  tmux('send-keys', '-t', SESSION, '-l', `\x1b[<0;${x};${y}M\x1b[<0;${x};${y}m`);
  await sleep(250);
}
async function wheel(down: boolean): Promise<void> {
  tmux('send-keys', '-t', SESSION, '-l', `\x1b[<${down ? 65 : 64};10;10M`);
  await sleep(250);
}

function start(columns: number, rows: number, args = '--demo --speed 0.05'): void {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli.js'))) throw new Error('build first: npx tsc -p tsconfig.build.json');
  tmux('new-session', '-d', '-s', SESSION, '-x', String(columns), '-y', String(rows), 'env -u CI PS1="READY$ " bash --norc --noprofile');
  tmux('send-keys', '-t', SESSION, `node ${BIN} ${args}`, 'Enter');
}

/** After the UI is gone: the prompt is back, the alternate screen and mouse reporting are off. */
async function restored(): Promise<void> {
  await waitFor('READY$', 10_000);
  await sleep(200);
  expect(flag('alternate_on')).toBe('0');
  expect(flag('mouse_any_flag')).toBe('0');
  expect(flag('mouse_sgr_flag')).toBe('0');
}

afterEach(() => {
  try { tmux('kill-session', '-t', SESSION); } catch { /* already gone */ }
});

describe('htop habits in tmux', () => {
  it('turns SGR mouse reporting on, and F-keys, the picker and search work', async () => {
    start(120, 36);
    // A loaded machine (shared by several test runs) takes seconds to start node.
    await waitFor(/PID▲ USER/, 60_000);
    expect(flag('mouse_sgr_flag')).toBe('1');
    expect(flag('mouse_any_flag')).toBe('1');
    await keys('F6');
    await waitFor('Sort by');
    await keys('Down', 'Down', 'Enter');
    await waitFor('CPU%▲');
    await keys('<', '<');
    await waitFor('PID▲');
    await keys('F5');
    await waitFor('list · Nix processes');
    await waitFor('timeout 1 yes');
    await keys('F5', 'F3', 't', 'i', 'm', 'e', 'o', 'u', 't', 'Enter');
    // The first match may be a builder whose script says "timeout"; n goes on to the next one.
    let s = await waitFor((t) => !/^ 1 .* 1\/\d+$/.test(lines(t)[3] ?? ''));
    for (let i = 0; i < 4 && !(lines(s).find((l) => l.startsWith('›')) ?? '').includes('timeout 1 yes'); i++) { await keys('n'); s = screen(); }
    expect(lines(s).find((l) => l.startsWith('›'))).toContain('timeout 1 yes');
    await keys('F1');
    await waitFor('Manual');
    await keys('End');
    const end = await waitFor('XDG_RUNTIME_DIR');
    const [, shown, total] = /(\d+)\/(\d+) │/.exec(end) ?? [];
    expect(shown).toBe(total);
    await keys('Escape', 'F10');
    await restored();
  });

  it('clicks on tabs, titles, rows and footer keys; the wheel scrolls', async () => {
    start(120, 36);
    // Enough rows to click on: the builders are running.
    await waitFor('timeout 1 yes', 60_000);
    await click(14, 4);
    await waitFor('SLOT▲');
    await click(2, 4);
    await waitFor('PID▲');
    await click(11, 5);
    await waitFor('USER▲');
    await click(11, 5);
    await waitFor('USER▼');
    await click(30, 8);
    await waitFor((t) => / 3\/\d+$/m.test(lines(t)[3] ?? ''));
    await wheel(true);
    await waitFor((t) => / 6\/\d+$/m.test(lines(t)[3] ?? ''));
    // "? help" in the bottom line (row 35 of 36).
    await click(10, 35);
    await waitFor('Manual');
    await keys('Escape');
    await click(2, 35);
    await restored();
  });

  it('--no-mouse leaves mouse reporting off; Ctrl-C and SIGTERM restore the terminal', async () => {
    start(100, 30, '--demo --no-mouse');
    await waitFor(/PID▲ USER/, 60_000);
    expect(flag('mouse_any_flag')).toBe('0');
    await keys('C-c');
    await restored();
    tmux('send-keys', '-t', SESSION, `node ${BIN} --demo`, 'Enter');
    await waitFor(/PID▲ USER/, 60_000);
    expect(flag('mouse_sgr_flag')).toBe('1');
    const shell = tmux('display-message', '-p', '-t', SESSION, '#{pane_pid}').trim();
    const pid = Number(execFileSync('pgrep', ['-P', shell, '-f', 'nix-btm'], { encoding: 'utf8' }).trim().split('\n')[0]);
    process.kill(pid, 'SIGTERM');
    await restored();
  });

  it('draws every size from 40x12 to 250x70 whole, in every view, and says when it is too small', async () => {
    start(80, 24, '--demo --speed 0.2');
    await waitFor(/gdbm-1\.23/, 60_000);
    const sizes: [number, number][] = [];
    for (let c = 40; c <= 250; c += 15) for (const r of [12, 13, 17, 24, 40, 55, 70]) sizes.push([c, r]);
    sizes.push([250, 70], [41, 12], [40, 13]);
    const problems: string[] = [];
    for (const [c, r] of sizes) {
      tmux('resize-window', '-t', SESSION, '-x', String(c), '-y', String(r));
      for (const view of ['1', '2', '3', '4', '5']) {
        await keys(view);
        // The frame for this size and view: keys on the last line but one, the view's mode on the tabs line.
        const mode = { 1: /^(tre|lis)/, 2: /^bui/, 3: /^who/, 4: /^job/, 5: /^pas/ }[view]!;
        const ready = (t: string): boolean => /^q quit/.test(lines(t)[r - 2] ?? '') && mode.test((lines(t)[3] ?? '').replace(/^.*?\b5( History)? +/, ''));
        const s = await waitFor(ready, 20_000).catch(() => screen());
        const l = lines(s);
        const check = (ok: boolean, what: string): void => { if (!ok) problems.push(`${c}x${r} view ${view}: ${what}\n${s}`); };
        check(ready(s), 'never drawn for this size');
        check(/^nix-btm │/.test(l[0] ?? ''), 'header not on the first line');
        check(/^ 1 /.test(l[3] ?? ''), 'tabs not on the fourth line');
        check(!/…$/.test((l[4] ?? '').trimEnd()), 'a column title cut');
        check(!/[A-Z]▲?…/.test(l[4] ?? ''), 'a column title cut');
        // Every table row starts in the gutter (› or a blank): nothing wrapped into the next line.
        for (const row of l.slice(5, r - 3)) check(row === '' || /^[› ]/.test(row), `a garbled row: ${row}`);
      }
      if (problems.length > 3) break;
    }
    expect(problems.slice(0, 3).join('\n')).toBe('');
    tmux('resize-window', '-t', SESSION, '-x', '39', '-y', '11');
    await waitFor('terminal too small: 39x11');
    await keys('q');
    await restored();
  });
});
