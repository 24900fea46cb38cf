// The History view of several machines, drawn by App: every host's jobs in one table with a HOST column, a host that
// gives no answer as a row saying why (the others still shown), `host:` words asking only those hosts, Enter opening
// a job from the host that recorded it (ids are per database), and the analytics pane per host.
process.env.TZ = 'UTC';
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import App from '../../src/components/App.js';
import type { HistoryQuery } from '../../src/history/protocol.js';
import type { JobSummary } from '../../src/history/queries.js';
import type { HistoryAnswer } from '../../src/history/source.js';
import { recordingController, type Controller } from '../../src/ui/feed.js';
import { remoteHistory, type BadAnswers, type FleetHistory } from '../../src/ui/fleet-history.js';
import { createFleetStore } from '../../src/ui/fleet-store.js';
import { initialUi } from '../../src/ui/ui-state.js';
import { tick } from './helpers.js';

afterEach(() => cleanup());

const job = (id: number, startedAt: number, command: string): JobSummary => ({
  id, startedAt, stoppedAt: startedAt + 2000, durationMs: 2000, user: 'alice', uid: 1000, command, via: 'run', host: 'same-machine',
  status: 'succeeded', exitCode: 0, built: 1, failed: 0, cancelled: 0, substituted: 0, planned: 1, errors: 0,
});
const STATS = { since: null, slowest: [], rebuilt: [], failureRate: [], perDay: [], cache: { substituted: 0, built: 3, share: 0 } };

function setup() {
  const store = createFleetStore([{ name: 'alpha', maxJobs: null }, { name: 'beta', maxJobs: 2 }, { name: 'gamma', maxJobs: 2 }], { frameMs: 0 });
  const asked: { host: string; q: HistoryQuery }[] = [];
  const answers: Record<string, (q: HistoryQuery) => HistoryAnswer> = {
    alpha: (q) => ({ ok: true, historyError: null, result: q.kind === 'stats' ? STATS : q.kind === 'job' ? { job: job(1, 1_000_000, 'nix-build a.nix'), derivations: [] } : [job(1, 1_000_000, 'nix-build a.nix')] }),
    beta: (q) => ({ ok: true, historyError: null, result: q.kind === 'stats' ? STATS : q.kind === 'job' ? { job: job(1, 2_000_000, 'nix-build b.nix'), derivations: [] } : [job(1, 2_000_000, 'nix-build b.nix')] }),
    gamma: () => ({ ok: false, reason: 'gamma is not connected' }),
  };
  const fleetHistory: FleetHistory = {
    hosts: () => ['alpha', 'beta', 'gamma'],
    ask: async (host, q) => { asked.push({ host, q }); return answers[host]!(q); },
  };
  const controller: Controller = { ...recordingController('demo'), fleetHistory };
  const app = render(<App store={store} controller={controller} size={{ columns: 120, rows: 40 }} onQuit={() => undefined} initial={{ ...initialUi, view: 'history' }} />);
  return { app: Object.assign(app, { controller }), asked };
}

/** Waits (bounded) for the frame to show `re`: key handling and answers take turns with a loaded machine. */
async function until(app: { lastFrame: () => string | undefined }, re: RegExp): Promise<void> {
  const end = Date.now() + 5000;
  while (!re.test(app.lastFrame() ?? '') && Date.now() < end) await tick(20);
}

const lines = (app: { lastFrame: () => string | undefined }): string[] => (app.lastFrame() ?? '').split('\n');

describe('History view with three hosts', () => {
  it('every host’s jobs with their HOST, newest first; a host without an answer says why', async () => {
    const { app, asked } = setup();
    await until(app, /gamma$/m);
    const l = lines(app);
    expect(l.find((x) => /^ STARTED/.test(x))).toMatch(/ WHAT +HOST$/);
    const b = l.findIndex((x) => /nix-build b\.nix +beta$/.test(x));
    const a = l.findIndex((x) => /nix-build a\.nix +alpha$/.test(x));
    expect(b).toBeGreaterThan(0);
    expect(a).toBeGreaterThan(b);
    expect(l.some((x) => / no answer +no history from gamma: gamma is not c… gamma$/.test(x))).toBe(true);
    expect(l.join('\n')).toMatch(/history: gamma: gamma is not connected/);
    expect(new Set(asked.map((x) => x.host))).toEqual(new Set(['alpha', 'beta', 'gamma']));
  });
  it('host: words ask only those hosts; Enter opens the job from its own host', async () => {
    const { app, asked } = setup();
    await until(app, /gamma$/m);
    app.stdin.write('/');
    await tick(15);
    for (const k of 'host:beta') { app.stdin.write(k); await tick(5); }
    app.stdin.write('\r');
    await until(app, /past jobs · m analytics · filter "host:beta"|nix-build b\.nix +beta$(?![\s\S]*alpha$)/m);
    await tick(40);
    let l = lines(app);
    expect(l.some((x) => / beta$/.test(x))).toBe(true);
    expect(l.some((x) => / (alpha|gamma)$/.test(x))).toBe(false);
    const last = asked[asked.length - 1]!;
    expect(last).toEqual({ host: 'beta', q: expect.objectContaining({ kind: 'jobs' }) });
    expect((last.q as { name?: string }).name).toBeUndefined();
    app.stdin.write('\r');
    await until(app, /job 1 on beta/);
    l = lines(app);
    expect(asked[asked.length - 1]).toEqual({ host: 'beta', q: { kind: 'job', id: 1 } });
    expect(l.join('\n')).toMatch(/job 1 on beta: 0 derivations/);
  });
  it('the analytics pane: each host under its name', async () => {
    const { app } = setup();
    await until(app, /gamma$/m);
    app.stdin.write('m');
    await until(app, /── beta ──/);
    const text = lines(app).join('\n');
    expect(text).toMatch(/── alpha ──\s*\n\s*Cache hits: 0 substituted, 3 built/);
    expect(text).toMatch(/── beta ──/);
    // Every host has its share of the pane, even on a short terminal.
    const short = render(<App store={createFleetStore([{ name: 'alpha', maxJobs: null }], { frameMs: 0 })} controller={app.controller} size={{ columns: 80, rows: 16 }} onQuit={() => undefined} initial={{ ...initialUi, view: 'history', history: { job: null, pane: 'stats', jobHost: null } }} />);
    await until(short, /── gamma ──/);
    expect(lines(short).join('\n')).toMatch(/── alpha ──[\s\S]*── beta ──[\s\S]*── gamma ──\s*\n\s*no history: gamma is not connected/);
  });
  it('a hostile proxy answer (wrong shapes, escape sequences, a prototype key): counted, a row saying so, the view goes on', async () => {
    const store = createFleetStore([{ name: 'alpha', maxJobs: null }, { name: 'evil', maxJobs: 2 }], { frameMs: 0 });
    const bad: BadAnswers = new Map();
    const hostile = remoteHistory('evil', async () => ({ ok: true, history: { historyError: null,
      result: [{ ...job(1, 3_000_000, '\u001b[2J\u001b]52;c;aGk=\u0007pwned'), id: '1', __proto__: { polluted: true } }] } }), bad);
    const good = (q: HistoryQuery): HistoryAnswer => ({ ok: true, historyError: null, result: q.kind === 'jobs' ? [job(1, 1_000_000, 'nix-build a.nix')] : null });
    const fleetHistory: FleetHistory = { hosts: () => ['alpha', 'evil'], ask: async (host, q) => (host === 'evil' ? hostile(q) : good(q)) };
    const app = render(<App store={store} controller={{ ...recordingController('demo'), fleetHistory }} size={{ columns: 200, rows: 16 }} onQuit={() => undefined} initial={{ ...initialUi, view: 'history' }} />);
    await until(app, /evil$/m);
    const text = lines(app).join('\n');
    expect(text).toMatch(/nix-build a\.nix +alpha$/m);
    expect(text).toMatch(/ no answer +no history from evil: bad history answer \(\d+ so far\): jobs\[0\]\.id is not a number +evil$/m);
    expect(text).toMatch(/history: evil: bad history answer/);
    expect(text).not.toMatch(/pwned/);
    expect(text.includes('\u001b[2J') || text.includes('\u001b]52')).toBe(false);
    expect(bad.get('evil')?.count).toBeGreaterThanOrEqual(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
