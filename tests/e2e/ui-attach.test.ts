// Attached UIs against a real root daemon, with real unprivileged users (btm-ui-a, btm-ui-b in group btm-ui-g):
// the `a` key's every-process scan lists a user's own processes only (root's lists everyone's), nobody but the
// daemon's user may stop it, and a UI that started the daemon stops it on exit only when no one else uses it
// (`--keep-daemon` keeps it, and says how to stop it). The UI itself is driven in tmux.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attach, hello } from '../../src/client/daemon-client.js';
import { pathsIn } from '../../src/protocol/paths.js';
import { BIN, alive, sleep, startDaemon, status, stopAll, type Daemon, type StatusDoc } from './daemon-helpers.js';
import { agent, asUserArgv, removeAgentFiles } from './authz-helpers.js';

const GROUP = 'btm-ui-g';
const A = 'btm-ui-a';
const B = 'btm-ui-b';

function ensureUser(name: string): number {
  if (spawnSync('getent', ['group', GROUP]).status !== 0) execFileSync('groupadd', [GROUP]);
  if (spawnSync('getent', ['passwd', name]).status !== 0) execFileSync('useradd', ['-m', '-G', `nix-users,${GROUP}`, name]);
  return Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
}

async function until<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const children: ChildProcess[] = [];
const sessions: string[] = [];

// A UI's control connection held open as `user`: writes its lines and keeps the connection until killed (the
// authz agent closes once answered). Node builtins only, in a dir every user can read.
const HOLDER = `import { connect } from 'node:net';
const s = connect(process.argv[2]);
s.on('connect', () => { for (const l of JSON.parse(process.argv[3])) s.write(JSON.stringify(l) + '\\n'); });
s.on('data', (c) => process.stdout.write(c));
s.on('close', () => process.exit(0));
setInterval(() => {}, 1000);
`;
let holderDir = '';
function holdAs(user: string, socket: string, lines: readonly object[]): ChildProcess {
  if (!holderDir) {
    holderDir = mkdtempSync(join(tmpdir(), 'btm-ui-holder-'));
    chmodSync(holderDir, 0o755);
    writeFileSync(join(holderDir, 'hold.mjs'), HOLDER, { mode: 0o644 });
  }
  const argv = asUserArgv(user, [process.execPath, join(holderDir, 'hold.mjs'), socket, JSON.stringify(lines)]);
  const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(c);
  return c;
}
/** Resolves once the held connection got its first reply (the daemon has registered it). */
const answered = (c: ChildProcess): Promise<string> =>
  new Promise((resolve) => c.stdout!.once('data', (d: Buffer) => resolve(d.toString())));
/** A `sleep` with a unique length, run as `user`: a process outside the Nix forest. */
function sleeper(user: string, seconds: number): ChildProcess {
  const argv = asUserArgv(user, ['sleep', String(seconds)]);
  const c = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  children.push(c);
  return c;
}
/** setpriv execs: the sleep is the spawned pid itself once exec'd. */
const sleepPidOf = (c: ChildProcess, seconds: number): Promise<number> =>
  until(`sleep ${seconds} to run`, () => (readCmd(c.pid!) === `sleep ${seconds}` ? c.pid! : null));
const readCmd = (pid: number): string => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '); } catch { return ''; } };
const listed = (doc: StatusDoc, pid: number): boolean => doc.processes.some((p) => p.pid === pid);

let uidA = 0;
let uidB = 0;
beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('run as root: the test creates users and runs a root daemon');
  uidA = ensureUser(A);
  uidB = ensureUser(B);
});
afterAll(async () => {
  for (const s of sessions) spawnSync('tmux', ['kill-session', '-t', s]);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await stopAll();
  removeAgentFiles();
  if (holderDir) rmSync(holderDir, { recursive: true, force: true });
});

describe('the `a` scan through a real root daemon', () => {
  let daemon: Daemon;
  let pa = 0;
  let pb = 0;
  beforeAll(async () => {
    daemon = await startDaemon({ group: GROUP });
    pa = await sleepPidOf(sleeper(A, 4101), 4101);
    pb = await sleepPidOf(sleeper(B, 4102), 4102);
  });

  it('lists nothing outside the Nix forest until a UI asks', async () => {
    await sleep(800);
    const doc = status(daemon.dir);
    expect(listed(doc, pa) || listed(doc, pb)).toBe(false);
    expect(doc.processes.every((p) => p.role !== 'other')).toBe(true);
  });

  it("a user's `a` adds that user's own processes, never another user's", async () => {
    const ui = holdAs(A, daemon.paths.control, [{ op: 'attach', all: true }]);
    expect(JSON.parse(await answered(ui))).toEqual({ ok: true, op: 'attach', everyone: false });
    const doc = await until(`${A}'s sleep in the published scan`, () => { const d = status(daemon.dir); return listed(d, pa) && d; });
    expect(doc.processes.find((p) => p.pid === pa)).toMatchObject({ uid: uidA, user: A, role: 'other', command: 'sleep 4101' });
    // Scans come every 250 ms: over several of them, B's process never shows, nor any other non-Nix process of others.
    for (let i = 0; i < 6; i++) {
      const d = status(daemon.dir);
      expect(listed(d, pb)).toBe(false);
      expect(d.processes.filter((p) => p.role === 'other').every((p) => p.uid === uidA)).toBe(true);
      await sleep(250);
    }
    // B, reading the same ring as a member, sees what A's wish published and nothing of its own beyond it.
    const asB = spawnSync(asUserArgv(B, [process.execPath, BIN, 'status', '--json', '--runtime-dir', daemon.dir])[0]!,
      asUserArgv(B, [process.execPath, BIN, 'status', '--json', '--runtime-dir', daemon.dir]).slice(1), { encoding: 'utf8' });
    expect(asB.status, asB.stderr).toBe(0);
    const seenByB = JSON.parse(asB.stdout) as StatusDoc;
    expect(listed(seenByB, pb)).toBe(false);
    expect(seenByB.processes.some((p) => p.uid === uidB && p.role === 'other')).toBe(false);
    ui.kill('SIGKILL');
    await until(`${A}'s sleep to leave the scan once its UI is gone`, () => !listed(status(daemon.dir), pa));
  });

  it("root's `a` lists everyone's processes; turned off, they go", async () => {
    const root = attach(daemon.paths.control, true);
    await until("both users' sleeps in root's scan", () => { const d = status(daemon.dir); return listed(d, pa) && listed(d, pb); });
    root.setAll(false);
    await until('the other processes to leave the scan', () => { const d = status(daemon.dir); return !listed(d, pa) && !listed(d, pb); });
    root.close();
  });

  it('a malformed attach gets a clear refusal and the daemon goes on', () => {
    const r = agent(A, daemon.paths.control, [{ op: 'attach', all: 'yes' }, { op: 'attach' }], 2);
    expect(r.replies).toEqual([
      { ok: false, op: 'attach', reason: 'attach needs a boolean "all"' },
      { ok: false, op: 'attach', reason: 'attach needs a boolean "all"' },
    ]);
    expect(alive(daemon.pid)).toBe(true);
  });
});

describe('stop-if-alone through a real root daemon', () => {
  it('refuses a user, refuses while another UI is attached, stops once the asker is alone', async () => {
    const daemon = await startDaemon({ group: GROUP });
    const byA = agent(A, daemon.paths.control, [{ op: 'attach', all: false }, { op: 'stop-if-alone' }], 2);
    expect(byA.replies[1]).toEqual({ ok: false, op: 'stop-if-alone', reason: 'only the user running the daemon may stop it' });
    expect((await hello(daemon.paths.control)).daemon.pid).toBe(daemon.pid);

    const mine = attach(daemon.paths.control, false);
    const other = holdAs(A, daemon.paths.control, [{ op: 'attach', all: false }]);
    await answered(other);
    expect(await mine.stopIfAlone()).toEqual({ ok: false, reason: '1 other UI is attached' });
    expect(alive(daemon.pid)).toBe(true);
    other.kill('SIGKILL');
    await sleep(500);
    expect(await mine.stopIfAlone()).toEqual({ ok: true });
    const exit = await daemon.exited;
    expect(exit.code).toBe(0);
    expect(existsSync(daemon.paths.control)).toBe(false);
  });
});

// ---- The UI in tmux: it starts a daemon where none answers, and on q stops it or says it keeps running.
const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
const screenOf = (s: string): string => tmux('capture-pane', '-p', '-t', s);
function startUi(name: string, command: string): string {
  const s = `${name}-${process.pid}`;
  sessions.push(s);
  tmux('new-session', '-d', '-s', s, '-x', '120', '-y', '32', `${command}; echo UI-EXITED-$?; sleep 120`);
  return s;
}
const uiCommand = (dir: string, extra = ''): string =>
  `env -u CI PATH='${process.env.PATH ?? '/usr/bin:/bin'}' ${process.execPath} ${BIN} --runtime-dir ${dir} ${extra}`;
const waitScreen = (s: string, text: string | RegExp, ms = 60_000): Promise<string> =>
  until(`${s} to show ${String(text)}`, () => { const t = screenOf(s); return (typeof text === 'string' ? t.includes(text) : text.test(t)) && t; }, ms)
    .catch((err: Error) => { throw new Error(`${err.message}; last screen:\n${screenOf(s)}`); });
const STARTED = 'daemon: started by this UI';
const daemonPidIn = (dir: string): number => Number(readFileSync(pathsIn(dir).pidFile, 'utf8').trim());

describe('a daemon started by the UI', () => {
  const dirs: string[] = [];
  const freshDir = (): string => { const d = mkdtempSync(join(tmpdir(), 'nix-btm-uistart-')); chmodSync(d, 0o755); dirs.push(d); return d; };
  afterAll(() => {
    for (const s of sessions) spawnSync('tmux', ['kill-session', '-t', s]);
    for (const d of dirs) {
      try { process.kill(daemonPidIn(d), 'SIGTERM'); } catch { /* gone */ }
    }
    // A daemon told to stop may still write its log while the dir goes: retry, as `rm -rf` would be retried.
    for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });

  it('is stopped when its UI quits and no one else uses it', async () => {
    const dir = freshDir();
    const s = startUi('btm-ui-stop', uiCommand(dir));
    await waitScreen(s, STARTED);
    const pid = daemonPidIn(dir);
    expect(alive(pid)).toBe(true);
    tmux('send-keys', '-t', s, 'q');
    const out = await waitScreen(s, 'UI-EXITED-0');
    expect(out).toContain(`nix-btm: stopped the daemon this UI started (pid ${pid})`);
    await until('the daemon to exit', () => !alive(pid), 15_000);
  });

  it('keeps running with --keep-daemon, and the UI says how to stop it', async () => {
    const dir = freshDir();
    const s = startUi('btm-ui-keep', uiCommand(dir, '--keep-daemon'));
    await waitScreen(s, STARTED);
    const pid = daemonPidIn(dir);
    tmux('send-keys', '-t', s, 'q');
    const out = (await waitScreen(s, 'UI-EXITED-0')).replace(/\n/g, '');
    expect(out).toContain(`nix-btm: the daemon this UI started (pid ${pid}) keeps running in ${dir}; stop it with: kill ${pid}`);
    await sleep(1000);
    expect((await hello(pathsIn(dir).control)).daemon.pid).toBe(pid);
  });

  it('keeps running while another UI is attached, and says why', async () => {
    const dir = freshDir();
    const first = startUi('btm-ui-first', uiCommand(dir));
    await waitScreen(first, STARTED);
    const pid = daemonPidIn(dir);
    const second = startUi('btm-ui-second', uiCommand(dir));
    await waitScreen(second, `daemon ${pid}`);
    await sleep(500);
    tmux('send-keys', '-t', first, 'q');
    const out = (await waitScreen(first, 'UI-EXITED-0')).replace(/\n/g, '');
    expect(out).toContain(`nix-btm: the daemon this UI started (pid ${pid}) keeps running: 1 other UI is attached; stop it with: kill ${pid}`);
    expect(alive(pid)).toBe(true);
    // The second UI did not start it: it leaves it alone and says nothing about it.
    tmux('send-keys', '-t', second, 'q');
    const out2 = await waitScreen(second, 'UI-EXITED-0');
    expect(out2).not.toContain('nix-btm: ');
    expect(alive(pid)).toBe(true);
  });
});

describe('the `a` key in a real terminal, as an unprivileged user', () => {
  it("shows the user's own other processes, never another user's, and turns off again", async () => {
    const daemon = await startDaemon({ group: GROUP });
    const pa = await sleepPidOf(sleeper(A, 4201), 4201);
    const pb = await sleepPidOf(sleeper(B, 4202), 4202);
    const s = startUi('btm-ui-a-key', asUserArgv(A, ['sh', '-c', `'${uiCommand(daemon.dir).replace(/'/g, '')}'`]).join(' '));
    await waitScreen(s, 'tree · Nix processes');
    tmux('send-keys', '-t', s, 't');
    await waitScreen(s, 'list · Nix processes');
    tmux('send-keys', '-t', s, 'a');
    const shown = await waitScreen(s, new RegExp(`^[› ] +${pa} ${A} .*sleep 4201\\s*$`, 'm'));
    expect(shown).toContain('list · all of your processes');
    // Several scans later B's sleep is still not there (the list is long: filter to the sleeps).
    tmux('send-keys', '-t', s, '/');
    tmux('send-keys', '-t', s, '-l', 'sleep 420');
    tmux('send-keys', '-t', s, 'Enter');
    await waitScreen(s, 'filter "sleep 420"');
    await sleep(1500);
    const filtered = screenOf(s);
    expect(filtered).toMatch(new RegExp(`^[› ] +${pa} ${A} `, 'm'));
    expect(filtered).not.toContain(String(pb));
    expect(filtered).not.toContain('sleep 4202');
    tmux('send-keys', '-t', s, 'a');
    await until('the own sleep to leave the list', () => !screenOf(s).includes('sleep 4201'));
    expect(screenOf(s)).toContain('Nix processes');
    tmux('send-keys', '-t', s, 'q');
    await waitScreen(s, 'UI-EXITED-0');
    expect(alive(daemon.pid)).toBe(true);
  });
});
