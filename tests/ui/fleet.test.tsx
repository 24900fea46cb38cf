// Several machines in one UI: each host's state reduced on its own, rows with a HOST column, `host:` filters, sorting
// by host, the header's per-host line, and App drawing it all (exact frames) from two hosts' real recorded states.
process.env.TZ = 'UTC';
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import App from '../../src/components/App.js';
import { recordingController } from '../../src/ui/feed.js';
import { createFleetStore } from '../../src/ui/fleet-store.js';
import { fleetViewRows, hostFilter } from '../../src/ui/fleet-rows.js';
import { fleetLine } from '../../src/ui/fleet-header.js';
import { initialUi, type UiState } from '../../src/ui/ui-state.js';
import { recording, stateAt, tick } from './helpers.js';

afterEach(() => cleanup());

function twoHosts() {
  const store = createFleetStore([{ name: 'alpha', maxJobs: null }, { name: 'beta', maxJobs: 4 }], { frameMs: 0 });
  store.host('alpha').reset(stateAt(3000));
  store.host('alpha').link('local', 'daemon 1');
  store.host('beta').link('connected', 'daemon 2');
  return store;
}

const jobsUi = (filter = '', sort = initialUi.sorts.jobs): UiState => ({ ...initialUi, view: 'jobs', filters: { ...initialUi.filters, jobs: filter }, sorts: { ...initialUi.sorts, jobs: sort } });

describe('the fleet store', () => {
  it('reduces each host on its own: the same events on one host leave the other untouched', () => {
    const store = twoHosts();
    const before = store.getSnapshot().hosts!.find((h) => h.name === 'alpha')!.state;
    store.host('beta').events(recording().events.slice(0, 200));
    const [alpha, beta] = store.getSnapshot().hosts!;
    expect(alpha!.state).toBe(before);
    expect(beta!.state.eventCount).toBe(200);
    expect(alpha!.state.eventCount).not.toBe(200);
  });
  it('pausing freezes every host; unseen counts what arrived', () => {
    const store = twoHosts();
    store.togglePause();
    store.host('beta').events(recording().events.slice(0, 10));
    expect(store.getSnapshot().hosts![1]!.state.eventCount).toBe(0);
    expect(store.getSnapshot().unseen).toBe(10);
    store.togglePause();
    expect(store.getSnapshot().hosts![1]!.state.eventCount).toBe(10);
  });
});

describe('fleet rows', () => {
  it('HOST is the last column; rows of each host carry their host in keys, cells and signal targets', () => {
    const store = twoHosts();
    store.host('beta').reset(stateAt(3000));
    const { rows, columns } = fleetViewRows(store.getSnapshot().hosts!, jobsUi());
    expect(columns.map((c) => c.title)).toEqual(['PID', 'USER', 'STATUS', 'PHASE', 'STARTED', 'TIME', 'WHAT', 'HOST']);
    const alpha = rows.filter((r) => r.host === 'alpha');
    const beta = rows.filter((r) => r.host === 'beta');
    expect(alpha.length).toBe(beta.length);
    expect(alpha.length).toBeGreaterThan(5);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    expect(beta.every((r) => r.cells.at(-1) === 'beta' && r.key.startsWith('beta\u0000'))).toBe(true);
    const target = beta.find((r) => r.targets?.build)?.targets?.build;
    expect(target?.host).toBe('beta');
    expect(target?.label).toMatch(/ on beta$/);
    // Identity is kept across frames (the table memoizes drawn lines by row).
    expect(fleetViewRows(store.getSnapshot().hosts!, jobsUi()).rows[0]).toBe(rows[0]);
  });
  it('host: words pick hosts, the rest filters rows; sorting by HOST orders the blocks', () => {
    const store = twoHosts();
    store.host('beta').reset(stateAt(3000));
    expect(hostFilter('host:be gdbm')).toEqual({ hosts: ['be'], rest: 'gdbm' });
    const only = fleetViewRows(store.getSnapshot().hosts!, jobsUi('host:be gdbm'));
    expect(only.rows.length).toBeGreaterThan(0);
    expect(only.rows.every((r) => r.host === 'beta')).toBe(true);
    expect(only.rows.some((r) => r.cells.join(' ').includes('gdbm'))).toBe(true);
    expect(only.mode).toBe('jobs · filter "gdbm" · hosts be');
    const desc = fleetViewRows(store.getSnapshot().hosts!, jobsUi('', { column: 7, desc: true })).rows;
    expect(desc[0]?.host).toBe('beta');
    expect(desc.at(-1)?.host).toBe('alpha');
  });
  it('the header line: running builds / slots, CPU, memory, disk, or why a host is not live', () => {
    const store = twoHosts();
    store.host('beta').link('unreachable', 'ssh: connect to host beta port 22: Connection refused (retry in 4 s)');
    expect(fleetLine(store.getSnapshot().hosts!)).toBe('alpha ⏵4/? cpu n/a mem n/a disk n/a │ beta unreachable: ssh: connect to host beta port 22: Connection refused (retry in 4 s)');
  });
});

describe('App with two hosts', () => {
  it('draws the HOST column, the summed tally and the per-host line', async () => {
    const store = twoHosts();
    const app = render(<App store={store} controller={recordingController('demo')} size={{ columns: 110, rows: 16 }} onQuit={() => undefined} initial={jobsUi()} />);
    await tick(30);
    const frame = app.lastFrame() ?? '';
    const lines = frame.split('\n');
    expect(lines[1]).toMatch(/^⏵ 4 running {2}✔ 2 built/);
    expect(lines[2]).toBe('alpha ⏵4/? cpu n/a mem n/a disk n/a │ beta ⏵0/4 cpu n/a mem n/a disk n/a');
    // The row counter is at the right end of the tabs line; HOST is the last column title.
    expect(lines[3]).toMatch(/ \d+\/\d+$/);
    expect(lines[4]).toMatch(/ WHAT +HOST$/);
    expect(lines.filter((l) => / alpha$/.test(l)).length).toBeGreaterThan(3);
    store.host('beta').reset(stateAt(3000));
    await tick(30);
    app.stdin.write('/');
    await tick(15);
    for (const k of 'host:beta') { app.stdin.write(k); await tick(5); }
    app.stdin.write('\r');
    await tick(30);
    const filtered = (app.lastFrame() ?? '').split('\n');
    expect(filtered.filter((l) => / beta$/.test(l)).length).toBeGreaterThan(3);
    expect(filtered.some((l) => / alpha$/.test(l))).toBe(false);
  });
  it('follows a process of one host (f): the row is found under its host-named key', async () => {
    const store = twoHosts();
    const app = render(<App store={store} controller={recordingController('demo')} size={{ columns: 110, rows: 16 }} onQuit={() => undefined} initial={{ ...initialUi, view: 'process' }} />);
    await tick(30);
    app.stdin.write('j');
    await tick(20);
    app.stdin.write('f');
    await tick(40);
    const frame = app.lastFrame() ?? '';
    expect(frame).toMatch(/following .* on alpha/);
    expect(frame).not.toMatch(/is gone/);
  });
});
