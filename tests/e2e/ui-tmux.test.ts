// The built CLI in a real terminal (tmux): `nix-btm --demo` plays the recorded real build; keys walk every view, the
// manual, sorting and filtering; capture-pane shows what a person sees; q must give the shell back, screen restored.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'nix-btm');
const SESSION = `nix-btm-e2e-${process.pid}`;

const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-t', SESSION);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the screen shows `text` (the UI redraws on its own timer). */
async function waitFor(text: string | RegExp, timeoutMs = 10_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = screen();
    if (typeof text === 'string' ? last.includes(text) : text.test(last)) return last;
    await sleep(100);
  }
  throw new Error(`screen never showed ${String(text)}; last screen:\n${last}`);
}

async function keys(...k: string[]): Promise<void> {
  for (const key of k) { tmux('send-keys', '-t', SESSION, key); await sleep(150); }
}

function start(columns: number, rows: number): void {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli.js'))) throw new Error('build first: npx tsc -p tsconfig.build.json');
  // A shell first, so that after q we can see the prompt come back and the alternate screen gone.
  tmux('new-session', '-d', '-s', SESSION, '-x', String(columns), '-y', String(rows), 'env -u CI PS1="READY$ " bash --norc --noprofile');
  tmux('send-keys', '-t', SESSION, 'echo before-ui', 'Enter');
}

afterEach(() => {
  try { tmux('kill-session', '-t', SESSION); } catch { /* already gone */ }
});

describe('nix-btm --demo in tmux', () => {
  for (const [columns, rows] of [[100, 30], [80, 24]] as const) {
    it(`walks every view at ${columns}x${rows} and restores the terminal on q`, async () => {
      start(columns, rows);
      await waitFor('before-ui');
      tmux('send-keys', '-t', SESSION, `node ${BIN} --demo --speed 0.3`, 'Enter');
      // A machine shared by several test runs can take many seconds to start node.
      let s = await waitFor(/nix-btm │ recorded build │ Nix 2\.8\.0 │ demo/, 60_000);
      expect(s).not.toContain('before-ui');
      expect(s).toContain('1 Process  2 Builder  3 Eagle Eye  4 Jobs');
      s = await waitFor(/nix-daemon[\s\S]*sh -c se/);
      expect(s).toContain('q quit  ? help');
      // The frame fits: the header is still on the first line and the footer on the last but one (one row left free).
      const lines = s.replace(/\n$/, '').split('\n');
      expect(lines).toHaveLength(rows);
      expect(lines[0]).toMatch(/^nix-btm │/);
      expect(lines[rows - 2]).toMatch(/^q quit/);

      await keys('2');
      s = await waitFor('DERIVATION');
      // USER and JOB are given up first at 80 columns.
      expect(s).toMatch(/nixbld\d +(root +(\d+ +)?)?\S+ +\w*Phase/);

      await keys('3');
      // The demo carries the .drv graph: the target, its three middles, their leaves below them.
      s = await waitFor(/▾ . my-dev-env-1\.0/);
      expect(s).toMatch(/^ +▾ . (perl|python3-minimal|git)-/m);
      expect(s).not.toContain('dependencies unknown');
      await keys('m');
      await waitFor('only active paths');

      await keys('4');
      s = await waitFor(/PID USER +STATUS/);
      expect(s).toContain('nix-build dag.nix');

      await keys('?');
      s = await waitFor('Manual');
      expect(s).toContain('Views');
      // The keys follow the views (at 80x24 below the first page): a page down shows them.
      await keys('PageDown');
      s = await waitFor(/Keys|move up/);
      await keys('Escape');
      await waitFor('STARTED');

      await keys('1', 't', 's', 's');
      s = await waitFor('CPU%▲');
      await keys('/', 'n', 'i', 'x', '-', 'd', 'Enter');
      // The mode line ("filter ...") is cut at 80 columns: wait for the rows the filter leaves.
      s = await waitFor(/^(?![\s\S]*nix-build dag\.nix)[\s\S]*nix-daemon/);
      expect(s).toMatch(/└─ nix-daemon| {2}nix-daemon$/m);
      expect(s).not.toContain('nix-build dag.nix');

      await keys('2', 'K');
      await waitFor(/Signal: +TERM/);
      await keys('Enter');
      await waitFor('Send TERM to the whole build');
      await keys('y');
      await waitFor('refused: demo: these processes are a recording');

      await keys('Escape');
      s = await waitFor("demo finished, q to quit", 150_000);
      expect(s).toContain('✔ 16 built');
      await keys('q');
      s = await waitFor('READY$', 5_000);
      expect(s).toContain('before-ui');
      expect(s).not.toContain('1 Process');
      tmux('send-keys', '-t', SESSION, 'echo "exit=$?"; tput cnorm >/dev/null; echo ok', 'Enter');
      s = await waitFor('exit=0');
    });
  }

  it('restores the terminal when killed with SIGTERM', async () => {
    start(100, 30);
    await waitFor('before-ui');
    tmux('send-keys', '-t', SESSION, `node ${BIN} --demo`, 'Enter');
    await waitFor(/recorded build │ Nix 2\.8\.0/, 60_000);
    const shell = tmux('display-message', '-p', '-t', SESSION, '#{pane_pid}').trim();
    const pid = Number(execFileSync('pgrep', ['-P', shell, '-f', 'nix-btm'], { encoding: 'utf8' }).trim().split('\n')[0]);
    process.kill(pid, 'SIGTERM');
    const s = await waitFor('READY$', 5_000);
    expect(s).toContain('before-ui');
    expect(s).not.toContain('1 Process');
    tmux('send-keys', '-t', SESSION, 'echo "exit=$?"', 'Enter');
    await waitFor('exit=143');
  });
});
