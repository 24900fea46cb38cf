// The built CLI in a real terminal against a real daemon fed a real build: tmux runs `nix-btm` (CI unset: Ink prints
// nothing under CI=true), a sleeping builder shows up in every view, the manual opens, the Process view sorts and
// filters, the signal dialog kills the builder's process group, Nix reports it failed, q gives the terminal back.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantiate, nixAvailable, writeExpr } from './nix-harness.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'nix-btm');
const SESSION = `nix-btm-live-${process.pid}`;
const COLUMNS = 120;
const ROWS = 32;
/** Short enough to be whole in the narrowest derivation column (Process view DRV, 14). */
const NAME = `sleepy-${randomBytes(3).toString('hex')}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-t', SESSION);
/** The screen with its attributes, inverse video spelled out. */
const inverseMarked = (): string => tmux('capture-pane', '-p', '-e', '-t', SESSION).replaceAll('\x1b[7m', '[inverse]');
const lines = (s: string): string[] => s.replace(/\n$/, '').split('\n');
const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const nixBtm = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });

/** Polls until `check` returns a value; only a hang fails it. */
async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last screen:\n${existsSession() ? screen() : '(no tmux session)'}`);
    await sleep(100);
  }
}

const existsSession = (): boolean => spawnSync('tmux', ['has-session', '-t', SESSION]).status === 0;
const waitScreen = (text: string | RegExp, timeoutMs?: number): Promise<string> =>
  until(`the screen to show ${String(text)}`, () => { const s = screen(); return (typeof text === 'string' ? s.includes(text) : text.test(s)) && s; }, timeoutMs);

/** Types keys one at a time, as a person does. */
async function keys(...k: string[]): Promise<void> {
  for (const key of k) { tmux('send-keys', '-t', SESSION, key); await sleep(150); }
}

/** Table rows on screen: the gutter (› marks the selection), then the cells. */
const tableRows = (s: string): string[] => lines(s).slice(5).filter((l) => /^[› ] +\d+ /.test(l));
const pidOf = (row: string): number => Number(/^[› ] +(\d+) /.exec(row)?.[1]);
const selected = (s: string): string | undefined => lines(s).find((l) => l.startsWith('›'));
const usersOf = (s: string): string[] => tableRows(s).map((r) => r.slice(1).trim().split(/ +/)[1] ?? '');
const byUser = new Intl.Collator('en', { numeric: true }).compare;

/** A live process (not a zombie). */
function alive(pid: number): boolean {
  try { return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')); } catch { return false; }
}

/** Processes whose environment names our derivation: the builder and its children, whoever started them. */
function ourBuildProcesses(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try { return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`name=${NAME}`); } catch { return false; }
  });
}

type Exit = { code: number | null; signal: NodeJS.Signals | null; stderr: string };

let dir = '';
let expr = '';
let drvPath = '';
let daemon: ChildProcess | null = null;
let run: { child: ChildProcess; done: Promise<Exit> } | null = null;
/** Seen on screen in the Process view. */
let builderPid = 0;
let sleepPid = 0;
let clientPid = 0;

function startRun(): { child: ChildProcess; done: Promise<Exit> } {
  // Its own process group, so cleanup reaches the nix-build it starts.
  const child = spawn(process.execPath, [BIN, 'run', '--runtime-dir', dir, '--', 'nix-build', expr, '--no-out-link'],
    { env: { ...process.env, NIX_REMOTE: 'daemon' }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  return { child, done: new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stderr }))) };
}

beforeAll(async () => {
  nixAvailable();
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli.js'))) throw new Error('build first: npx tsc -p tsconfig.build.json');
  dir = mkdtempSync(join(tmpdir(), 'nix-btm-live-'));
  expr = writeExpr(join(dir, 'expr'), `builtins.derivation {
  name = "${NAME}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  args = [ "-c" "echo \\"@nix {\\\\\\"action\\\\\\":\\\\\\"setPhase\\\\\\",\\\\\\"phase\\\\\\":\\\\\\"buildPhase\\\\\\"}\\" >&2; echo sleeping; sleep 300" ];
}
`);
  drvPath = instantiate(expr);
  daemon = spawn(process.execPath, [BIN, 'daemon', '--runtime-dir', dir, '--refresh', '250',
    '--history', join(dir, 'history.sqlite'), '--no-import-nom'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let daemonErr = '';
  daemon.stderr?.setEncoding('utf8').on('data', (c: string) => { daemonErr += c; });
  await until('the daemon to answer `status`', () => {
    if (daemon?.exitCode !== null) throw new Error(`nix-btm daemon exited ${daemon?.exitCode}: ${daemonErr}`);
    return nixBtm('status', '--runtime-dir', dir).status === 0;
  }, 30_000);
  run = startRun();
  tmux('new-session', '-d', '-s', SESSION, '-x', String(COLUMNS), '-y', String(ROWS),
    `env -u CI PATH='${process.env.PATH ?? '/usr/bin:/bin'}' ${process.execPath} ${BIN} --runtime-dir ${dir}; echo UI-EXITED-$?; sleep 60`);
});

afterAll(async () => {
  if (existsSession()) tmux('kill-session', '-t', SESSION);
  if (run?.child.pid !== undefined && run.child.exitCode === null) { try { process.kill(-run.child.pid, 'SIGKILL'); } catch { /* gone */ } }
  for (const pid of ourBuildProcesses()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
    const exited = new Promise((r) => daemon!.once('exit', r));
    daemon.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('nix-btm live in tmux, a real daemon and a real build', () => {
  it('shows the sleeping builder in the Process view, under the nix-daemon, beside its nix-build', async () => {
    const s = await waitScreen(new RegExp(`nixbld\\d+ .* ${NAME} +(└─ )?sleep 300`));
    const [head, tally, , tabs] = lines(s);
    expect(head).toMatch(/^nix-btm │ .+ │ Nix 2\.\d+\.\d+ │ daemon: connected │ daemon \d+, /);
    // The shared nix-daemon may run other people's builds too (shown as local jobs): ours is one of them.
    expect(tally).toMatch(/^⏵ [1-9]\d* running {2}✔ \d+ built {2}✘ \d+ failed/);
    expect(tabs).toMatch(/^ 1 Process {2}2 Builder {2}3 Eagle Eye {2}4 Jobs {2}5 History {2}tree · Nix processes/);
    expect(lines(s)).toHaveLength(ROWS);
    expect(lines(s)[ROWS - 2]).toMatch(/^q quit {2}\? help {2}s sort/);
    const rows = tableRows(s);
    expect(rows.some((r) => /^[› ] +\d+ root .* nix-daemon$/.test(r)), s).toBe(true);
    const builder = rows.find((r) => new RegExp(`nixbld\\d+ .* ${NAME} +└─ sh -c echo`).test(r));
    const sleeper = rows.find((r) => new RegExp(`nixbld\\d+ .* ${NAME} +└─ sleep 300`).test(r));
    // COMMAND takes the room left: its end may be cut (…) at 120 columns.
    const client = rows.find((r) => r.includes(`nix-build ${expr}`));
    expect(builder, s).toBeDefined();
    expect(sleeper, s).toBeDefined();
    expect(client, s).toBeDefined();
    [builderPid, sleepPid, clientPid] = [pidOf(builder!), pidOf(sleeper!), pidOf(client!)];
    // The tree: the sleep is drawn under the builder, the builder under a nix-daemon worker.
    expect(rows.indexOf(sleeper!)).toBe(rows.indexOf(builder!) + 1);
    expect(readFileSync(`/proc/${sleepPid}/cmdline`, 'utf8')).toBe('sleep\x00300\x00');
    expect(ourBuildProcesses().sort()).toEqual([builderPid, sleepPid].sort());
  });

  it('Builder view: the builder with its derivation, phase, two processes and last log line', async () => {
    await keys('2');
    // USER and JOB: who asked for the build, and the client's pid (two users' identical builds are told apart).
    const s = await waitScreen(new RegExp(`nixbld\\d+ +root +${clientPid} +${NAME} +buildPhase +[\\d.ms]+ +2 +[\\d.]+ +\\S+ sleeping`));
    expect(lines(s)[3]).toMatch(/^ 1 Process {2}2 Builder {2}3 Eagle Eye {2}4 Jobs {2}5 History {2}builders +\d+\/\d+$/);
    expect(lines(s)[4]).toMatch(/^ SLOT▲ +USER +JOB +DERIVATION +PHASE +ELAPSED PROCS +CPU% +MEM LAST LOG LINE +LEFT$/);
  });

  it('Eagle Eye: the nix-build job and the derivation running under it', async () => {
    await keys('3');
    const s = await waitScreen('whole tree');
    // The command may be cut (…) to leave room for the other columns: its start names the job.
    expect(s).toMatch(new RegExp(`▾ ${clientPid} root nix-build ${esc(expr.slice(0, 16))}\\S* .*running +0/1 ✔ +[\\d.ms]+ +\\d\\d:\\d\\d:\\d\\d`));
    expect(s).toMatch(new RegExp(`^ +⏵ ${NAME} +running +buildPhase +[\\d.ms]+ +\\d\\d:\\d\\d:\\d\\d +sleeping( +\\S+)?$`, 'm'));
  });

  it('Jobs view: the nix-build client, its build, and the detail pane with the log tail', async () => {
    await keys('4');
    const s = await waitScreen(/PID USER +STATUS +PHASE +STARTED/);
    expect(s).toMatch(new RegExp(`^[› ] +${clientPid} root +running +0/1 ✔ +\\d\\d:\\d\\d:\\d\\d +[\\d.ms]+ nix-build ${esc(expr.slice(0, 16))}`, 'm'));
    expect(s).toMatch(new RegExp(`^ +running +buildPhase +\\d\\d:\\d\\d:\\d\\d +[\\d.ms]+ +⏵ ${NAME}( +\\S+)?$`, 'm'));
    // Other people's jobs may be listed too: F3 searches for our build's row, Enter opens its detail pane.
    await keys('F3');
    tmux('send-keys', '-t', SESSION, '-l', NAME);
    await keys('Enter');
    await until('the selection on our build', () => selected(screen())?.includes(`⏵ ${NAME}`));
    await keys('Enter');
    // The pane opens at its end (the newest log lines); PgUp scrolls it back to the build's facts.
    const end = await waitScreen(/log \(last 1 lines\):\s+│\s+│ +sleeping/);
    const seen = [end];
    for (let i = 0; i < 8 && !seen.at(-1)!.includes(`builder: pid ${builderPid} as nixbld`); i++) {
      await keys('PageUp');
      await sleep(500);
      seen.push(screen());
    }
    const d = seen.join('\n');
    expect(d).toContain(`builder: pid ${builderPid} as nixbld`);
    expect(d).toContain(`${NAME}  running  buildPhase`);
    expect(d).toContain(drvPath);
    // The running builder's environment, read by the daemon from /proc (root asks: allowed).
    expect(d).toContain('environment:');
    expect(d).toMatch(/│ +builder=\/bin\/sh +│/);
    expect(d).toMatch(new RegExp(`│ +name=${NAME} +│`));
    await keys('Enter');
    await until('the detail pane to close', () => !screen().includes('builder: pid'));
  });

  it('opens the manual over the view, scrolls it and closes it', async () => {
    await keys('?');
    const s = await waitScreen('Manual  (↑↓ PgUp PgDn scroll · End last line · Esc close)');
    expect(s).toContain('nix-btm: htop for Nix');
    const position = /(\d+)\/(\d+) │/.exec(s);
    expect(position).not.toBeNull();
    await keys('PageDown');
    await until('the manual to scroll', () => { const m = /(\d+)\/(\d+) │/.exec(screen()); return m !== null && Number(m[1]) > Number(position![1]) && m; });
    await keys('Escape');
    const back = await waitScreen(/PID USER +STATUS +PHASE/);
    expect(back).not.toContain('Manual');
  });

  it('Process view: a flat list sorts by PID, by USER either way, and filters to the derivation', async () => {
    await keys('1', 't');
    let s = await waitScreen('list · Nix processes');
    expect(lines(s)[4]).toMatch(/^ +PID▲ USER /);
    const pids = tableRows(s).map(pidOf);
    expect(pids).toEqual([...pids].sort((a, b) => a - b));
    await keys('s');
    s = await waitScreen(/ USER▲ /);
    expect(usersOf(s)[0]).toMatch(/^nixbld\d+$/);
    expect(usersOf(s)).toEqual([...usersOf(s)].sort(byUser));
    await keys('r');
    s = await waitScreen(/ USER▼ /);
    expect(usersOf(s)[0]).toBe('root');
    expect(usersOf(s)).toEqual([...usersOf(s)].sort(byUser).reverse());
    // The filter text arrives in one piece, as when pasted.
    await keys('/');
    tmux('send-keys', '-t', SESSION, '-l', NAME);
    await keys('Enter');
    s = await waitScreen(`list · Nix processes · filter "${NAME}"`);
    const rows = tableRows(s);
    expect(rows.map(pidOf).sort()).toEqual([builderPid, sleepPid].sort());
    expect(s).toMatch(/ 1\/2\n/);
    expect(s).not.toContain('nix-daemon');
    expect(s).not.toContain('nix-build');
  });

  it('kills the builder through the dialog: target build, TERM, confirmed; Nix reports the build failed', async () => {
    // Select the builder's own row (sh -c ...), not the sleep: from the top, one row at a time.
    await keys('g');
    for (let i = 0; i < 2 && pidOf(selected(screen()) ?? '') !== builderPid; i++) {
      const was = pidOf(selected(screen()) ?? '');
      await keys('j');
      await until('the selection to move', () => pidOf(selected(screen()) ?? '') !== was);
    }
    expect(pidOf(selected(screen()) ?? '')).toBe(builderPid);
    await keys('K');
    await waitScreen(/Signal: {2}TERM {2}KILL {2}INT/);
    // Inverse video marks the choice: the process first, then the build.
    expect(inverseMarked()).toMatch(/Target: \[inverse\] process /);
    await keys('Right');
    await until('target build to be chosen', () => /Target: {2}process \[inverse\] build /.test(inverseMarked()));
    await keys('Enter');
    await waitScreen(`Send TERM to the whole build: ${NAME} (process group ${builderPid})?`);
    await keys('y');
    const s = await waitScreen(`sent TERM to ${NAME} (process group ${builderPid})`);
    expect(s).not.toContain('refused');

    await until('the builder and its sleep to be gone', () => !alive(builderPid) && !alive(sleepPid));
    const exit = await run!.done;
    // Through the nix-daemon a failed build makes nix-build exit 1; `run` passes it on.
    expect(exit.code, exit.stderr).toBe(1);
    expect(exit.stderr).toContain(`builder for '${drvPath}' failed due to signal 15 (Terminated)`);
    expect(ourBuildProcesses()).toEqual([]);

    const doc = await until('status --json to show the derivation failed', () => {
      const r = nixBtm('status', '--json', '--runtime-dir', dir);
      const d = r.status === 0 ? (JSON.parse(r.stdout) as { derivations: { drvPath: string; status: string; reason: string | null }[] }) : null;
      const drv = d?.derivations.find((x) => x.drvPath === drvPath);
      return drv && drv.status !== 'running' && drv;
    });
    expect(doc.status).toBe('failed');
    expect(doc.reason).toMatch(/signal 15/);

    const after = await waitScreen(/✘ [1-9]\d* failed/);
    expect(after).not.toContain('sleep 300');
    await keys('Escape', '3');
    await waitScreen(new RegExp(`✘ ${NAME} +failed`));
  });

  it('q leaves the alternate screen, shows the cursor and exits 0', async () => {
    await keys('q');
    const s = await waitScreen('UI-EXITED-0', 15_000);
    expect(s).not.toContain('1 Process');
    expect(s).not.toContain('nix-btm │');
    expect(tmux('display-message', '-p', '-t', SESSION, '#{alternate_on} #{cursor_flag}').trim()).toBe('0 1');
  });
});
