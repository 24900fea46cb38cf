// The build history against real Nix 2.8 through the real nix-daemon, fed by `nix-btm run`: repeated builds of the
// same package; the third run shows an ETA (daemon query and the Builder view in tmux) within the spread of the first
// two runs' durations; `nix-btm history --json` and the History view list the jobs and derivations with the durations
// the live view showed; two UIs read the history while the daemon writes it; a restart keeps it; nom's CSV is
// imported; a corrupt or locked database is reported while the live view goes on.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { daemonHistory } from '../../src/client/history-client.js';
import { pathsIn } from '../../src/protocol/paths.js';
import { duration } from '../../src/ui/format.js';
import { BIN, freshDir, nixBtm, sleep, startDaemon, startRun, status, stopAll, waitForStatus, type StatusDoc } from './daemon-helpers.js';
import { nixAvailable, nonce, tinyExprSource, writeExpr } from './nix-harness.js';

const NAME = 'btm-hist-sleep-1.0';
const SESSIONS: string[] = [];
const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = (s: string): string => tmux('capture-pane', '-p', '-t', s);

async function until<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screens:\n${SESSIONS.map((s) => { try { return screen(s); } catch { return '(gone)'; } }).join('\n----\n')}`);
    await sleep(150);
  }
}

function ui(dir: string): string {
  const name = `btm-hist-${process.pid}-${SESSIONS.length}`;
  SESSIONS.push(name);
  tmux('new-session', '-d', '-s', name, '-x', '140', '-y', '30', `env -u CI node ${BIN} --runtime-dir ${dir}`);
  return name;
}

type HistJob = { id: number; command: string; status: string; built: number; durationMs: number | null; via: string };
type HistDrv = { name: string; path: string; status: string; durationMs: number | null; startedAt: number | null; phases: [string, number][] };

const historyJson = (dir: string, ...args: string[]): unknown => {
  const r = nixBtm(['history', '--json', '--runtime-dir', dir, ...args]);
  if (r.code !== 0) throw new Error(`nix-btm history: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

const ours = (dir: string): HistJob[] => (historyJson(dir) as { jobs: HistJob[] }).jobs.filter((j) => j.command.includes('btm-hist'));
const closed = (s: StatusDoc): boolean => s.jobs.length > 0 && s.jobs.every((j) => j.status !== 'running');

beforeAll(() => nixAvailable());
afterEach(async () => {
  for (const s of SESSIONS.splice(0)) { try { tmux('kill-session', '-t', s); } catch { /* gone */ } }
  await stopAll();
});
afterAll(() => stopAll());

describe('build history with real Nix 2.8', () => {
  it('repeated builds: ETA within the first runs spread, history = live durations, two UIs, restart keeps it', async () => {
    const dir = freshDir('nix-btm-hist-');
    let d = await startDaemon({ dir, refreshMs: 250 });
    const expr = writeExpr(freshDir('nix-btm-hist-expr-'), tinyExprSource(NAME, 3));
    const build = (): string[] => ['nix-build', expr, '--argstr', 'nonce', nonce(), '--no-out-link'];
    const live = new Map<string, number>();
    const runOnce = async (): Promise<void> => {
      const r = await startRun(dir, build()).done;
      expect(r.code, r.stderr).toBe(0);
      const s = await waitForStatus(dir, closed, 60_000, 'the run closed');
      for (const x of s.derivations) if (x.name === NAME && x.status === 'built' && x.durationMs !== null) live.set(x.drvPath, x.durationMs);
    };
    await runOnce();
    await runOnce();
    expect(live.size).toBe(2);
    const spread = [Math.min(...live.values()), Math.max(...live.values())] as const;

    // Third run, watched by a UI in the Builder view: the LEFT column counts down from the history's estimate.
    const builderUi = ui(dir);
    await until('the UI', () => screen(builderUi).includes('daemon: connected'));
    tmux('send-keys', '-t', builderUi, '2');
    const third = startRun(dir, build());
    await waitForStatus(dir, (s) => s.derivations.some((x) => x.name === NAME && x.status === 'running'), 60_000, 'the third build running', true);
    const eta = await daemonHistory(pathsIn(dir).control).ask({ kind: 'eta', names: [NAME] });
    expect(eta.ok).toBe(true);
    const e = (eta as { result: Record<string, { ms: number; basis: string; samples: number }> }).result[NAME]!;
    expect(e).toMatchObject({ basis: 'same version, this host', samples: 2 });
    expect(e.ms).toBeGreaterThanOrEqual(spread[0]);
    expect(e.ms).toBeLessThanOrEqual(spread[1]);
    const row = await until('an ETA in the Builder view', () => screen(builderUi).split('\n').find((l) => l.includes(NAME) && /[~+]\d/.test(l)));
    expect(row).toMatch(/LEFT|~\d+(\.\d)?s|\+\d/);
    expect((await third.done).code).toBe(0);
    const s3 = await waitForStatus(dir, closed, 60_000, 'the third run closed');
    for (const x of s3.derivations) if (x.name === NAME && x.status === 'built' && x.durationMs !== null) live.set(x.drvPath, x.durationMs);
    expect(live.size).toBe(3);

    // history --json: three jobs, each with its derivation, durations as the live view showed them.
    // Rows are written once a second: wait for the last job's end to reach the database too.
    const jobs = await until('three finished jobs in the history', () => {
      const j = ours(dir);
      return j.length === 3 && j.every((x) => x.status !== 'running') && j;
    }, 20_000);
    for (const j of jobs) {
      expect(j).toMatchObject({ status: 'succeeded', built: 1 });
      const detail = historyJson(dir, '--job', String(j.id)) as { derivations: HistDrv[] };
      const drv = detail.derivations.find((x) => x.name === NAME)!;
      expect(drv.status).toBe('built');
      expect(Math.abs(drv.durationMs! - live.get(drv.path)!)).toBeLessThanOrEqual(250);
      expect(drv.phases.map(([p]) => p)).toContain('buildPhase');
    }

    // The History view, in the same terminal and in a second UI, while a fourth run is being written.
    const second = ui(dir);
    await until('the second UI', () => screen(second).includes('daemon: connected'));
    for (const s of [builderUi, second]) tmux('send-keys', '-t', s, '5');
    const fourth = startRun(dir, build());
    for (const s of [builderUi, second]) {
      await until(`History view in ${s}`, () => (screen(s).match(/btm-hist/g) ?? []).length >= 3 && screen(s).includes('5 History'));
    }
    expect((await fourth.done).code).toBe(0);
    await waitForStatus(dir, closed, 60_000, 'the fourth run closed');
    for (const s of [builderUi, second]) {
      await until(`four jobs in ${s}`, () => (screen(s).match(/nix-build \S+btm-hist/g) ?? []).length >= 4, 20_000);
    }
    // Enter on the newest job: its derivation with the duration the live view had.
    const newest = ours(dir)[0]!;
    const [drv] = (historyJson(dir, '--job', String(newest.id)) as { derivations: HistDrv[] }).derivations;
    tmux('send-keys', '-t', second, 'g');
    await sleep(300);
    tmux('send-keys', '-t', second, 'Enter');
    const opened = await until('the job opened', () => { const t = screen(second); return t.includes(`job ${newest.id}:`) && t; });
    expect(opened.split('\n').find((l) => l.includes(NAME))).toContain(duration(drv!.durationMs));
    await until('the duration sparkline', () => /builds · last/.test(screen(second)) && /[▁▂▃▄▅▆▇█]/.test(screen(second)));

    // A restart keeps the history.
    await d.stop();
    d = await startDaemon({ dir, refreshMs: 250 });
    expect(ours(dir).map((j) => j.id)).toEqual(jobs.length === 3 ? [newest.id, ...jobs.map((j) => j.id)] : []);
    await d.stop();
  });

  it("imports nom's build-reports.csv and uses it for ETAs", async () => {
    const dir = freshDir('nix-btm-hist-nom-');
    const csv = join(dir, 'build-reports.csv');
    // nom's own format: its header, "%F %T" UTC times, "" for this host; recent (older than 90 days is pruned).
    const day = (n: number): string => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 19).replace('T', ' ');
    writeFileSync(csv, `hostname,derivation name,utc time,build seconds\n,btm-nom-only,${day(3)},30\n,btm-nom-only,${day(2)},50\n` +
      `,btm-nom-only,${day(1)},40\nremote.example,btm-nom-only,${day(1)},400\n`);
    await startDaemon({ dir, extra: ['--history', join(dir, 'h.sqlite'), '--import-nom', csv] });
    const jobs = await until('the import', () => { const j = (historyJson(dir) as { jobs: HistJob[] }).jobs.filter((x) => x.via === 'nom-import'); return j.length === 1 && j; }, 20_000);
    expect(jobs[0]!.built).toBe(4);
    const eta = await daemonHistory(pathsIn(dir).control).ask({ kind: 'eta', names: ['btm-nom-only-1.2'] });
    expect((eta as { result: Record<string, unknown> }).result['btm-nom-only-1.2']).toEqual({ ms: 40_000, basis: 'other versions, this host', samples: 3 });
  });

  it('a corrupt database and a locked one: a clear error, the live view goes on, rows wait for the lock', async () => {
    const dir = freshDir('nix-btm-hist-bad-');
    const corrupt = join(dir, 'corrupt.sqlite');
    writeFileSync(corrupt, Buffer.alloc(16_384, 0x5a));
    await startDaemon({ dir, refreshMs: 250, extra: ['--history', corrupt] });
    const expr = writeExpr(freshDir('nix-btm-hist-expr-'), tinyExprSource('btm-hist-bad-1.0', 0));
    const r = await startRun(dir, ['nix-build', expr, '--argstr', 'nonce', nonce(), '--no-out-link']).done;
    expect(r.code).toBe(0);
    const s = await waitForStatus(dir, closed, 60_000, 'closed');
    expect(s.derivations.find((x) => x.name === 'btm-hist-bad-1.0')?.status).toBe('built');
    const h = nixBtm(['history', '--runtime-dir', dir]);
    expect(h.code).toBe(3);
    expect(h.stderr).toMatch(/history database .*corrupt.sqlite is corrupt/);
    const screenUi = ui(dir);
    await until('the status line', () => /history: the history database .* is corrupt/.test(screen(screenUi)));
    await stopAll();

    // Locked: another process holds the write lock; the daemon keeps the rows and writes them once it is free.
    const dir2 = freshDir('nix-btm-hist-lock-');
    const expr2 = writeExpr(freshDir('nix-btm-hist-expr-'), tinyExprSource('btm-hist-bad-1.0', 0));
    const path = join(dir2, 'h.sqlite');
    await startDaemon({ dir: dir2, refreshMs: 250, extra: ['--history', path] });
    await until('the file', () => spawnSync('test', ['-s', path]).status === 0, 10_000);
    const locker = new Database(path);
    locker.pragma('busy_timeout = 5000');
    locker.exec('BEGIN EXCLUSIVE');
    const r2 = await startRun(dir2, ['nix-build', expr2, '--argstr', 'nonce', nonce(), '--no-out-link']).done;
    expect(r2.code, r2.stderr).toBe(0);
    await waitForStatus(dir2, closed, 60_000, 'closed');
    const locked = await until('a lock error', () => {
      const x = nixBtm(['history', '--runtime-dir', dir2]);
      return /locked/.test(x.stderr + x.stdout) && x;
    }, 30_000);
    expect(locked.stderr + locked.stdout).toMatch(/locked by another process/);
    expect(status(dir2).derivations.some((x) => x.name === 'btm-hist-bad-1.0' && x.status === 'built')).toBe(true);
    locker.exec('ROLLBACK');
    locker.close();
    await until('the rows written after the lock', () => ours(dir2).some((j) => j.built === 1), 30_000);
  });
});
