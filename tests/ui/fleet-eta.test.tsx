// LEFT with several machines: each host's builds are timed by that host's own history (asked through the fleet's
// history, a remote one through its proxy, answers checked by kind), never by another machine's; a host whose
// history does not answer has empty LEFT cells; a hostile estimate answer is refused, not read.
process.env.TZ = 'UTC';
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import App from '../../src/components/App.js';
import { recordingController, type Controller } from '../../src/ui/feed.js';
import { createFleetStore } from '../../src/ui/fleet-store.js';
import type { FleetHistory } from '../../src/ui/fleet-history.js';
import { remoteHistory } from '../../src/ui/fleet-history.js';
import type { HistoryQuery } from '../../src/history/protocol.js';
import { checkAnswer } from '../../src/history/answer-shape.js';
import { initialUi } from '../../src/ui/ui-state.js';
import { stateAt, tick } from './helpers.js';

afterEach(() => cleanup());

const estimates = (q: HistoryQuery, ms: number): Record<string, unknown> =>
  Object.fromEntries((q.kind === 'eta' ? q.names : []).map((n) => [n, { ms, basis: 'same version, this host', samples: 4 }]));

async function until(app: { lastFrame: () => string | undefined }, re: RegExp): Promise<void> {
  const end = Date.now() + 8000;
  while (!re.test(app.lastFrame() ?? '') && Date.now() < end) await tick(20);
}

describe('LEFT on several machines', () => {
  it('each host’s rows from its own history; a host without an answer: empty cells', async () => {
    const store = createFleetStore([{ name: 'alpha', maxJobs: null }, { name: 'beta', maxJobs: 4 }, { name: 'gamma', maxJobs: 4 }], { frameMs: 0 });
    for (const h of ['alpha', 'beta', 'gamma']) { store.host(h).reset(stateAt(3000)); store.host(h).link('connected', h); }
    const asked: string[] = [];
    const fleetHistory: FleetHistory = {
      hosts: () => ['alpha', 'beta', 'gamma'],
      ask: async (host, q) => {
        asked.push(`${host} ${q.kind}`);
        if (host === 'gamma') return { ok: false, reason: 'gamma is not connected' };
        return { ok: true, historyError: null, result: estimates(q, host === 'alpha' ? 3 * 3600_000 : 5 * 3600_000) };
      },
    };
    const controller: Controller = { ...recordingController('demo'), fleetHistory };
    const app = render(<App store={store} controller={controller} size={{ columns: 160, rows: 40 }} onQuit={() => undefined} initial={{ ...initialUi, view: 'builder' }} />);
    await until(app, / beta +~4h\S*\s*$/m);
    const rows = (app.lastFrame() ?? '').split('\n');
    // The last cells: HOST, then LEFT (empty when there is no estimate).
    const cellsOf = (host: string): string[] => rows.map((l) => new RegExp(` ${host}(?: +(\\S+))?\\s*$`).exec(l)).filter((m) => m !== null).map((m) => m[1] ?? '');
    expect(rows.find((l) => /HOST/.test(l))).toMatch(/ HOST +LEFT\s*$/);
    const alpha = cellsOf('alpha').filter((c) => c.startsWith('~'));
    const beta = cellsOf('beta').filter((c) => c.startsWith('~'));
    expect(alpha.length).toBeGreaterThan(0);
    expect(beta.length).toBe(alpha.length);
    // alpha's history says 3 h, beta's 5 h: each host's rows carry its own.
    expect(alpha.every((c) => /^~2h/.test(c))).toBe(true);
    expect(beta.every((c) => /^~4h/.test(c))).toBe(true);
    // gamma's history does not answer: no estimate in its rows (never alpha's or beta's).
    expect(cellsOf('gamma').some((c) => c.startsWith('~'))).toBe(false);
    expect(asked).toContain('beta eta');
    expect(asked).toContain('gamma eta');
    // Another machine's history trouble is not asked as `info` (this machine's status line).
    expect(asked.some((a) => a.endsWith(' info'))).toBe(false);
  });
});

describe('estimates from another machine', () => {
  it('are rebuilt for the asked names only; a bad basis, a non-number or an inherited name is refused or dropped', async () => {
    const q = { kind: 'eta', names: ['hello', '__proto__', 'constructor'] } as const;
    const ok = checkAnswer(q, { hello: { ms: 5, basis: 'same version, other hosts', samples: 2, extra: 'x' }, other: { ms: 1, basis: 'same version, this host', samples: 1 } });
    expect(ok.ok).toBe(true);
    const v = (ok.ok ? ok.value : {}) as Record<string, unknown>;
    expect(v.hello).toEqual({ ms: 5, basis: 'same version, other hosts', samples: 2 });
    expect(v.__proto__).toBeNull();
    expect(v.constructor).toBeNull();
    expect(Object.keys(v).sort()).toEqual(['__proto__', 'constructor', 'hello'].sort());
    expect(checkAnswer(q, { hello: { ms: 5, basis: 'trust me', samples: 2 } })).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown basis/) });
    expect(checkAnswer(q, { hello: { ms: '5', basis: 'same version, this host', samples: 2 } }).ok).toBe(false);
    expect(checkAnswer(q, [1]).ok).toBe(false);
    // Through the fleet's remote ask: a bad answer is counted and said, never read.
    const bad = new Map();
    const ask = remoteHistory('far', async () => ({ ok: true, history: { result: { hello: { ms: -1, basis: 'x', samples: 0 } }, historyError: null } }), bad);
    const r = await ask(q);
    expect(r.ok).toBe(false);
    expect(bad.get('far')?.count).toBe(1);
  });
});
