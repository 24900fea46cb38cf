// Estimates after a reconnect: a state that went back (another daemon's snapshot) may come with another history,
// so the estimates are asked again at once, not kept for a minute from the predecessor's history.
import React from 'react';
import { Text } from 'ink';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { useEta, type HistoryAsk } from '../../src/ui/use-eta.js';
import type { State } from '../../src/state/model.js';
import { stateAt, tick } from './helpers.js';

afterEach(() => cleanup());

function Probe({ ask, state, name }: { ask: HistoryAsk; state: State; name: string }): React.ReactElement {
  const eta = useEta(ask, state, 20);
  const e = eta.table?.estimate(name);
  return <Text>{e ? `eta ${e.ms}` : 'eta none'}</Text>;
}

async function until(app: { lastFrame: () => string | undefined }, re: RegExp): Promise<string> {
  const end = Date.now() + 5000;
  while (!re.test(app.lastFrame() ?? '') && Date.now() < end) await tick(10);
  return app.lastFrame() ?? '';
}

describe('estimates when the state goes back', () => {
  it('are asked again of the new history, not kept from the old one', async () => {
    const later = stateAt(5000);
    const earlier = stateAt(3000);
    expect(earlier.eventCount).toBeLessThan(later.eventCount);
    // A derivation the recording has running or planned in both states: its estimate is what the history says.
    const name = [...earlier.derivations.values()].find((d) => ['running', 'planned', 'waiting'].includes(d.status)
      && ['running', 'planned', 'waiting'].includes(later.derivations.get(d.drvPath)?.status ?? ''))?.name;
    expect(name).toBeDefined();
    // Which history answers: the daemon the UI is connected to.
    let history = 1;
    const asked: number[] = [];
    const ask: HistoryAsk = async (q) => {
      asked.push(history);
      const ms = history * 1000;
      return { ok: true, historyError: null,
        result: Object.fromEntries((q.kind === 'eta' ? q.names : []).map((n) => [n, { ms, basis: 'same version, this host', samples: 3 }])) };
    };
    const app = render(<Probe ask={ask} state={later} name={name!} />);
    expect(await until(app, /eta 1000/)).toContain('eta 1000');
    // Reconnected to another daemon (its own history): its snapshot holds fewer events than the old state.
    history = 2;
    app.rerender(<Probe ask={ask} state={earlier} name={name!} />);
    expect(await until(app, /eta 2000/)).toContain('eta 2000');
    expect(asked).toContain(2);
  });

  it('an answer of the old history that comes after the reconnect is not kept', async () => {
    const later = stateAt(5000);
    const earlier = stateAt(3000);
    const name = [...earlier.derivations.values()].find((d) => ['running', 'planned', 'waiting'].includes(d.status)
      && ['running', 'planned', 'waiting'].includes(later.derivations.get(d.drvPath)?.status ?? ''))?.name;
    // The old history answers slowly: its answer lands after the UI reconnected to the new daemon.
    let history = 1;
    const ask: HistoryAsk = async (q) => {
      const ms = history * 1000;
      if (history === 1) await tick(150);
      return { ok: true, historyError: null,
        result: Object.fromEntries((q.kind === 'eta' ? q.names : []).map((n) => [n, { ms, basis: 'same version, this host', samples: 3 }])) };
    };
    const app = render(<Probe ask={ask} state={later} name={name!} />);
    await tick(50); // asked of history 1, not answered yet
    history = 2;
    app.rerender(<Probe ask={ask} state={earlier} name={name!} />);
    expect(await until(app, /eta 2000/)).toContain('eta 2000');
    await tick(250); // history 1's late answer has come and gone
    expect(app.lastFrame()).toContain('eta 2000');
  });

  it('a state that only grew keeps its estimates (no question per tick)', async () => {
    const s1 = stateAt(3000);
    const s2 = stateAt(6000);
    const name = [...s1.derivations.values()].find((d) => ['running', 'planned', 'waiting'].includes(d.status))?.name;
    let calls = 0;
    const ask: HistoryAsk = async (q) => {
      if (q.kind === 'eta') calls += q.names.includes(name!) ? 1 : 0;
      return { ok: true, historyError: null,
        result: Object.fromEntries((q.kind === 'eta' ? q.names : []).map((n) => [n, { ms: 7000, basis: 'same version, this host', samples: 3 }])) };
    };
    const app = render(<Probe ask={ask} state={s1} name={name!} />);
    await until(app, /eta 7000/);
    app.rerender(<Probe ask={ask} state={s2} name={name!} />);
    await tick(200);
    expect(app.lastFrame()).toContain('eta 7000');
    expect(calls).toBe(1);
  });
});
