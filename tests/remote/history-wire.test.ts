// History queries to another machine: the wire's history request and reply, the answer checked against its query
// (a bad or hostile answer from a proxy is counted and reported, never read as data), a far side that never answers
// (the view's wait ends), and the merging of several hosts' pages. `ssh` here is a Node script standing for the
// far side's proxy; the real proxy and daemon are tested in tests/e2e/hosts-history.test.ts.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAnswer } from '../../src/history/answer-shape.js';
import type { JobSummary } from '../../src/history/queries.js';
import { connectHost, type HostConnection } from '../../src/remote/connection.js';
import { parseHostUri } from '../../src/remote/hosts.js';
import { parseProxyMessage, parseProxyRequest } from '../../src/remote/wire.js';
import { initialState } from '../../src/state/reducer.js';
import { toSnapshot } from '../../src/state/snapshot.js';
import { fleetJobs, mergeJobs, remoteHistory, type BadAnswers, type FleetHistory } from '../../src/ui/fleet-history.js';

const dir = mkdtempSync(join(tmpdir(), 'btm-hist-wire-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const job = (id: number, startedAt: number | null, extra: Partial<JobSummary> = {}): JobSummary => ({
  id, startedAt, stoppedAt: startedAt === null ? null : startedAt + 1000, durationMs: startedAt === null ? null : 1000, user: 'alice', uid: 1000,
  command: `nix-build job${id}`, via: 'run', host: 'h', status: 'succeeded', exitCode: 0, built: 1, failed: 0, cancelled: 0, substituted: 0,
  planned: 1, errors: 0, ...extra,
});

/** A far side that says hello, then answers each history request with `answer(id)` (a line, or nothing). */
function fakeProxy(name: string, answer: string): string {
  const path = join(dir, name);
  const hello = JSON.stringify({ t: 'hello', version: 1, seq: 0, snapshot: toSnapshot(initialState()), daemon: { pid: 1 } });
  writeFileSync(path, `#!${process.execPath}
process.stdout.write('C ' + ${JSON.stringify(hello)} + '\\n');
setInterval(() => process.stdout.write('C {"t":"beat","seq":0}\\n'), 1000);
let buf = '';
process.stdin.on('data', (c) => {
  buf += c;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    if (line === '') continue;
    const id = JSON.parse(line).id;
    const out = (${answer})(id);
    if (out !== null) process.stdout.write(out + '\\n');
  }
});
`);
  chmodSync(path, 0o755);
  return path;
}

async function connected(ssh: string, historyTimeoutMs = 5000): Promise<HostConnection> {
  let live = false;
  const conn = connectHost(parseHostUri('far')!, { reset: () => undefined, events: () => undefined, status: (s) => { live = s.kind === 'connected'; } },
    { ssh, minBackoffMs: 20, maxBackoffMs: 40, historyTimeoutMs });
  const end = Date.now() + 10_000;
  while (!live && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(live).toBe(true);
  return conn;
}

const JOBS = { kind: 'jobs' as const, limit: 10 };

describe('the wire carries history requests and answers', () => {
  it('a history request is forwarded as is; a reply with a history answer needs result and historyError', () => {
    expect(parseProxyRequest('{"id":3,"op":"history","query":{"kind":"jobs"}}')).toEqual({ id: 3, op: 'history', query: { kind: 'jobs' } });
    expect(parseProxyMessage('{"t":"reply","id":3,"ok":true,"history":{"result":[],"historyError":null}}'))
      .toEqual({ t: 'reply', id: 3, ok: true, history: { result: [], historyError: null } });
    expect(parseProxyMessage('{"t":"reply","id":3,"ok":true,"history":{"result":[],"historyError":5}}'))
      .toEqual({ bad: 'reply with a history answer without result or historyError' });
    expect(parseProxyMessage('{"t":"reply","id":3,"ok":true,"history":[1]}')).toEqual({ bad: 'reply with a history answer without result or historyError' });
    expect(parseProxyMessage('{"t":"reply","id":3,"ok":false,"reason":{"x":1}}')).toEqual({ bad: 'reply with a reason that is not text' });
  });
});

describe('a history answer is checked against its query', () => {
  it('jobs: rebuilt field by field (unknown fields dropped); a wrong type is refused with where it is', () => {
    const ok = checkAnswer(JOBS, [{ ...job(1, 5), evil: 'x' }]);
    expect(ok).toEqual({ ok: true, value: [job(1, 5)] });
    expect(checkAnswer(JOBS, [{ ...job(1, 5), id: '1' }])).toEqual({ ok: false, reason: 'jobs[0].id is not a number' });
    expect(checkAnswer(JOBS, [job(1, 5), { ...job(2, 5), command: 7 }])).toEqual({ ok: false, reason: 'jobs[1].command is not text' });
    expect(checkAnswer(JOBS, { length: 1 })).toEqual({ ok: false, reason: 'the jobs is not a list' });
    expect(checkAnswer(JOBS, [{ ...job(1, 5), command: 'x'.repeat(70_000) }])).toEqual({ ok: false, reason: 'jobs[0].command is 70000 characters long' });
    expect(checkAnswer(JOBS, new Array(20_001).fill(0))).toEqual({ ok: false, reason: 'the jobs has 20001 entries (at most 20000)' });
    expect(checkAnswer(JOBS, [{ ...job(1, 5), built: Infinity }])).toMatchObject({ ok: false });
  });
  it('a job: null (gone) or the job and its derivations, phases and past durations checked too', () => {
    expect(checkAnswer({ kind: 'job', id: 1 }, null)).toEqual({ ok: true, value: null });
    const d = { path: '/nix/store/x-a.drv', name: 'a', pname: 'a', version: '', host: 'h', substituted: false, status: 'built', reason: null,
      exitCode: 0, startedAt: 1, stoppedAt: 2, durationMs: 1, phases: [['buildPhase', 1]], peakProcs: 1, cpuMs: 1, peakRss: 1, outputBytes: 1, past: [1, 2] };
    expect(checkAnswer({ kind: 'job', id: 1 }, { job: job(1, 5), derivations: [d] })).toEqual({ ok: true, value: { job: job(1, 5), derivations: [d] } });
    expect(checkAnswer({ kind: 'job', id: 1 }, { job: job(1, 5), derivations: [{ ...d, phases: [['x']] }] }))
      .toEqual({ ok: false, reason: 'derivations[0].phases[0][1] is not a number' });
    expect(checkAnswer({ kind: 'job', id: 1 }, { job: job(1, 5), derivations: [{ ...d, substituted: 1 }] }))
      .toEqual({ ok: false, reason: 'derivations[0].substituted is not true or false' });
    // Estimates are read from other hosts now (each host's LEFT from its own history: tests/ui/fleet-eta.test.tsx);
    // the kinds no view asks of another machine are still refused.
    expect(checkAnswer({ kind: 'info' }, {})).toEqual({ ok: false, reason: 'info answers are not read from other hosts' });
  });
});

describe('merging the hosts’ pages', () => {
  it('in the view’s order across hosts, ties by host then id, cut to the limit; unknown start times first when ascending', () => {
    const a = { host: 'alpha', jobs: [job(2, 300), job(1, 100)] };
    const b = { host: 'beta', jobs: [job(7, 300), job(5, 200), job(4, null)] };
    expect(mergeJobs([a, b], 'started', true, 10).map((j) => `${j.host}:${j.job.id}`)).toEqual(['beta:7', 'alpha:2', 'beta:5', 'alpha:1', 'beta:4']);
    expect(mergeJobs([a, b], 'started', false, 3).map((j) => `${j.host}:${j.job.id}`)).toEqual(['beta:4', 'alpha:1', 'beta:5']);
    const c = { host: 'gamma', jobs: [job(1, 1, { user: 'bob' }), job(2, 1, { user: 'Carol' })] };
    expect(mergeJobs([a, c], 'user', false, 10).map((j) => j.job.user)).toEqual(['alice', 'alice', 'bob', 'Carol']);
  });
  it('a host that fails or never answers is a problem, the others are shown; the wait is bounded', async () => {
    const fleet: FleetHistory = {
      hosts: () => ['alpha', 'down', 'slow'],
      ask: (host) => (host === 'alpha' ? Promise.resolve({ ok: true, result: [job(1, 1)], historyError: null })
        : host === 'down' ? Promise.resolve({ ok: false, reason: 'down is not connected' }) : new Promise(() => undefined)),
    };
    const t0 = Date.now();
    const m = await fleetJobs(fleet, fleet.hosts(), JOBS, 300);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(m.jobs.map((j) => j.host)).toEqual(['alpha']);
    expect(m.problems).toEqual([{ host: 'down', reason: 'down is not connected' }, { host: 'slow', reason: 'no answer in 300 ms' }]);
  });
});

describe('a proxy answering history', () => {
  it('a good answer goes through; a hostile one is counted and reported, and the connection lives on', async () => {
    const good = JSON.stringify(job(9, 9));
    const ssh = fakeProxy('mixed', `(id) => id % 2 === 1
      ? 'C ' + JSON.stringify({ t: 'reply', id, ok: true, history: { result: [${good}], historyError: null } })
      : 'C ' + JSON.stringify({ t: 'reply', id, ok: true, history: { result: [{ id: { toString: 1 }, command: '\\u001b[2J' }], historyError: null } })`);
    const conn = await connected(ssh);
    const bad: BadAnswers = new Map();
    const ask = remoteHistory('far', conn.history, bad);
    expect(await ask(JOBS)).toEqual({ ok: true, result: [job(9, 9)], historyError: null });
    expect(await ask(JOBS)).toEqual({ ok: false, reason: 'bad history answer (1 so far): jobs[0].id is not a number' });
    expect(await ask(JOBS)).toMatchObject({ ok: true });
    expect(await ask(JOBS)).toEqual({ ok: false, reason: 'bad history answer (2 so far): jobs[0].id is not a number' });
    expect(bad.get('far')).toEqual({ count: 2, last: 'jobs[0].id is not a number' });
    conn.stop();
  });
  it('a reply without a history answer, or a refusal: said, counted when it is not an answer', async () => {
    const ssh = fakeProxy('noanswer', `(id) => 'C ' + JSON.stringify(id === 1 ? { t: 'reply', id, ok: true } : { t: 'reply', id, ok: false, reason: 'bad history query: x' })`);
    const conn = await connected(ssh);
    const bad: BadAnswers = new Map();
    const ask = remoteHistory('far', conn.history, bad);
    expect(await ask(JOBS)).toEqual({ ok: false, reason: 'bad history answer (1 so far): a reply without a history answer' });
    expect(await ask(JOBS)).toEqual({ ok: false, reason: 'bad history query: x' });
    expect(bad.get('far')?.count).toBe(1);
    conn.stop();
  });
  it('a proxy that never answers: the request ends after its wait', async () => {
    const conn = await connected(fakeProxy('silent', '() => null'), 300);
    const t0 = Date.now();
    expect(await conn.history(JOBS)).toEqual({ ok: false, reason: 'far did not answer in 300 ms' });
    expect(Date.now() - t0).toBeLessThan(3000);
    conn.stop();
  });
  it('a reply that breaks the wire ends the connection: the pending request is answered, not left hanging', async () => {
    const conn = await connected(fakeProxy('broken', `() => 'C {"t":"reply","id":"x"}'`));
    expect(await conn.history(JOBS)).toEqual({ ok: false, reason: 'the connection to far closed' });
    conn.stop();
  });
});
