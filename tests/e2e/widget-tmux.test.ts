// Issue 15: `nix-btm run` and `nix-btm watch` in a real terminal (tmux) on real Nix 2.8 builds through the
// nix-daemon: the live tree while it runs, Nix's errors above it, the end (output path, summary, exit code), a
// --keep-going failure, ^C, a resize, a -vvv build printing thousands of lines. capture-pane shows what a person sees.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nixAvailable, nonce } from './nix-harness.js';
import { tmuxScreen, type ScreenMatch } from './tmux-screen.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'nix-btm');
const EXPR = join(ROOT, 'tests', 'e2e', 'widget.nix');
const SESSION = `nix-btm-widget-${process.pid}`;
// -J (join) in the widget: a long message reads as Nix wrote it.
const term = tmuxScreen(SESSION, { join: true, pollMs: 100 });
const { tmux } = term;

const waitFor = (test: ScreenMatch, timeoutMs = 60_000): Promise<string> => term.waitScreen(test, timeoutMs);

function start(columns = 100, rows = 30): void {
  tmux('new-session', '-d', '-s', SESSION, '-x', String(columns), '-y', String(rows), 'env -u CI PS1="READY$ " NIX_REMOTE=daemon bash --norc --noprofile');
}

/** Types a `nix-btm run` of the widget graph (no nix-btm daemon: a fresh runtime dir), then prints its exit code. */
function run(args: string, extra = ''): void {
  const dir = mkdtempSync(join(tmpdir(), 'nix-btm-widget-'));
  const cmd = `node ${BIN} run --no-daemon --runtime-dir ${dir} ${extra} -- nix-build ${EXPR} --argstr nonce ${nonce()} ${args} --no-out-link; echo "exit=$?"`;
  tmux('send-keys', '-t', SESSION, 'clear', 'Enter');
  tmux('send-keys', '-t', SESSION, cmd, 'Enter');
}

/** Lines of the widget on screen: from the graph's head to the summary line. */
function widget(s: string): string[] {
  const lines = s.split('\n');
  const top = lines.findIndex((l) => l.startsWith('┏━'));
  const bottom = lines.findIndex((l) => l.startsWith('┗━ ∑'));
  return top >= 0 && bottom >= top ? lines.slice(top, bottom + 1) : [];
}

/** The summary's running count agrees with the tree's running rows (issue 15: the old line lagged one step). */
function consistent(s: string): boolean {
  const w = widget(s);
  const running = w.filter((l) => / ⏵ wdg-/.test(l)).length;
  const said = /∑ \S* ?⏵ (\d+)/.exec(w.at(-1) ?? '')?.[1];
  return w.length > 0 && Number(said) === running;
}

beforeAll(() => nixAvailable());
afterEach(() => { try { tmux('kill-session', '-t', SESSION); } catch { /* gone */ } });

describe('nix-btm run: the live widget on a real build', () => {
  it('draws the tree while it builds, then the output path, the summary and exit 0; the terminal is left clean', async () => {
    start();
    run('--argstr secs 2');
    let s = await waitFor((x) => / ⏵ wdg-leaf-a buildPhase ⏱ \d+s/.test(x) && consistent(x));
    expect(widget(s)[1]).toBe('┃ ⏸ wdg-top');
    expect(s).toMatch(/┃ ├─ ⏸ wdg-mid\n┃ │ {2}├─ ⏵ wdg-leaf-a/);
    expect(s).toMatch(/┗━ ∑ \S ⏵ 3 │ ✔ 0\/6 │ ⏸ 3 │ ⏱ \d+s/);
    // Later frames: what finished is ✔ with its time, and the counts say what the tree shows.
    s = await waitFor((x) => /✔ wdg-leaf-a ⏱ \d+s/.test(x) && /⏵ wdg-(mid|side)/.test(x) && consistent(x));
    expect(widget(s).filter((l) => l.startsWith('┗━'))).toHaveLength(1);
    s = await waitFor('exit=0');
    const lines = s.split('\n');
    // The output path on a line of its own, then the summary; no widget left on screen.
    const out = lines.findIndex((l) => /^\/nix\/store\/[0-9a-z]{32}-wdg-top$/.test(l));
    expect(out).toBeGreaterThanOrEqual(0);
    expect(lines[out + 1]).toBe('nix-btm: 6 built, 0 failed, 0 cancelled, 0 interrupted');
    expect(lines[out + 2]).toMatch(/^nix-btm: took \d+s; slowest: wdg-\S+ \d+s, wdg-\S+ \d+s, wdg-\S+ \d+s$/);
    expect(s).not.toContain('┗━');
    expect(tmux('display-message', '-p', '-t', SESSION, '#{cursor_flag}').trim()).toBe('1');
  });

  it('a --keep-going failure: Nix\'s error above the widget, the failed and cancelled builds, the others built, exit 1', async () => {
    start();
    run('--argstr secs 1 --argstr fail leaf-a --keep-going');
    let s = await waitFor((x) => /✘ wdg-leaf-a builder failed with exit code 3/.test(x));
    const lines = s.split('\n');
    const err = lines.findIndex((l) => l.includes("error: builder for '/nix/store/") && l.includes('wdg-leaf-a.drv'));
    expect(err).toBeGreaterThanOrEqual(0);
    expect(err).toBeLessThan(lines.findIndex((l) => l.startsWith('┏━')));
    s = await waitFor('exit=1');
    expect(s).toContain('nix-btm: 3 built, 1 failed, 2 cancelled, 0 interrupted');
    expect(s).toMatch(/nix-btm: ✘ wdg-leaf-a: builder failed with exit code 3/);
    expect(s).toMatch(/error: 1 dependencies of derivation '\/nix\/store\/[0-9a-z]{32}-wdg-mid\.drv' failed to build/);
  });

  it('^C: Nix is interrupted, the widget is erased, the cursor is back and the shell prompt answers', async () => {
    start();
    run('--argstr secs 30');
    await waitFor((x) => / ⏵ wdg-leaf-c buildPhase/.test(x));
    tmux('send-keys', '-t', SESSION, 'C-c');
    const s = await waitFor(/exit=\d+/, 30_000);
    expect(Number(/exit=(\d+)/.exec(s)?.[1])).not.toBe(0);
    expect(s).toMatch(/error: interrupted by the user/);
    expect(s).toMatch(/nix-btm: 0 built, 0 failed, 0 cancelled, [1-9] interrupted/);
    expect(s).not.toContain('┗━');
    expect(tmux('display-message', '-p', '-t', SESSION, '#{cursor_flag}').trim()).toBe('1');
    tmux('send-keys', '-t', SESSION, 'echo still-here', 'Enter');
    await waitFor(/^still-here$/m, 5000);
  });

  it('a resize: the widget is redrawn once, fitted to the new width and folded to the new height', async () => {
    start(100, 30);
    run('--argstr secs 6');
    await waitFor((x) => / ⏵ wdg-leaf-a buildPhase/.test(x));
    tmux('resize-window', '-t', SESSION, '-x', '40', '-y', '8');
    const s = await waitFor((x) => widget(x).length > 0 && x.split('\n').every((l) => [...l].length <= 40) && widget(x).length <= 8 && /⋯ \d+ more/.test(x), 10_000);
    expect(s.split('\n').filter((l) => l.startsWith('┗━'))).toHaveLength(1);
    expect(s.split('\n').filter((l) => l.startsWith('┏━'))).toHaveLength(1);
    tmux('resize-window', '-t', SESSION, '-x', '100', '-y', '30');
    const wide = await waitFor((x) => widget(x).length === 8 && consistent(x), 10_000);
    expect(wide.split('\n').filter((l) => l.startsWith('┗━'))).toHaveLength(1);
    await waitFor('exit=0', 60_000);
  });

  it('-vvv with 20,000 log lines per builder: the screen stays the widget and Nix\'s few words, never the chatter', async () => {
    start();
    run('--argstr secs 2 --argstr chatty 20000 -vvv');
    const s = await waitFor((x) => /⏵ wdg-(mid|side)/.test(x) && consistent(x));
    expect(s).not.toContain('chatter line');
    expect(s).not.toMatch(/found build user|sandbox setup/);
    expect(widget(s).filter((l) => l.startsWith('┗━'))).toHaveLength(1);
    const end = await waitFor('exit=0');
    expect(end).toContain('nix-btm: 6 built, 0 failed, 0 cancelled, 0 interrupted');
  });
});

describe('nix-btm watch: a pipe, like nom --json', () => {
  it('draws the tree from stdin and ends with the output path and the summary', async () => {
    start();
    // Three levels of 2 s builds: a watcher that starts seconds late on a loaded machine (Nix's lines wait in the
    // pipe) still sees a level running.
    const cmd = `nix-build ${EXPR} --argstr nonce ${nonce()} --argstr secs 2 --no-out-link --log-format internal-json -v 2>&1 | node ${BIN} watch; echo "exit=$?"`;
    tmux('send-keys', '-t', SESSION, cmd, 'Enter');
    await waitFor((x) => / ⏵ wdg-[a-z-]+ buildPhase/.test(x) && consistent(x));
    const s = await waitFor('exit=0');
    expect(s).toMatch(/^\/nix\/store\/[0-9a-z]{32}-wdg-top\nnix-btm: 6 built, 0 failed, 0 cancelled, 0 interrupted$/m);
    expect(s).not.toContain('┗━');
  });
});

describe('the dashboard: Eagle Eye\'s build pane in a real terminal', () => {
  it('w opens the selected job\'s widget below the tree (the recorded real build), w closes it, q restores the shell', async () => {
    start(100, 40);
    tmux('send-keys', '-t', SESSION, `node ${BIN} --demo --speed 2`, 'Enter');
    await waitFor('1 Process  2 Builder  3 Eagle Eye', 15_000);
    tmux('send-keys', '-t', SESSION, '3');
    await waitFor('whole tree', 5000);
    tmux('send-keys', '-t', SESSION, 'w');
    const s = await waitFor((x) => /^┏━ Dependency Graph/m.test(x) && /^┗━ ∑ ⏵ \d+ │ ✔ \d+\/16/m.test(x), 10_000);
    const lines = s.split('\n');
    expect(lines.findIndex((l) => l.startsWith('┏━'))).toBeGreaterThan(lines.findIndex((l) => l.includes('TARGET')));
    expect(s).toContain('w widget');
    tmux('send-keys', '-t', SESSION, 'w');
    await waitFor((x) => !x.includes('Dependency Graph'), 5000);
    tmux('send-keys', '-t', SESSION, 'q');
    await waitFor('READY$', 5000);
  });
});
