// The log intake thread (src/daemon/log-intake-worker.ts) against real unprivileged peers of a real root daemon: it
// reads every connection into one shared buffer and pauses a connection only when the main thread is far behind.
// One user flooding many connections put the users' shared allowance (64 MiB owed) over its bound, and then every
// other user's connection that sent was paused too: an honest Nix blocked in write() for as long as the flood lasted.
// And connections writing interleaved partial lines, cut at 1 byte, 64 KiB and 128 KiB, closing mid-line, shut
// half-way or left silent: each connection's lines reach its own source, whole and in order, nothing lost.
import { chmodSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ATTACKER, HONEST, cleanPeers, ensureUsers, peerAs, uidOf, type Peer } from './atk8-helpers.js';
import { alive, jsonLogLines, startDaemon, stopAll, waitForStatus, within } from './daemon-helpers.js';

const SUCCESS = 'log-daemon-root-graph-success';

beforeAll(() => ensureUsers());
const peers: Peer[] = [];

afterEach(async () => {
  for (const p of peers.splice(0)) p.kill();
  await stopAll();
});
afterAll(() => cleanPeers());

/** The uids of the connections daemon.log says were paused ("log connection N (uid U): ... reading paused"). */
const pausedUids = (logFile: string): number[] =>
  [...readFileSync(logFile, 'utf8').matchAll(/log connection \d+ \(uid (\d+|\?)\): \d+ bytes not yet processed, reading paused/g)].map((m) => Number(m[1]));

describe('one user flooding the log socket', () => {
  it('pauses only that user’s connections: another user’s Nix keeps writing, its build arrives whole', async () => {
    const d = await startDaemon();
    chmodSync(d.dir, 0o755); // as /run/nix-btm: every user's Nix reaches nix-log.sock
    const line = JSON.stringify({ action: 'result', id: 5, type: 101, fields: ['x'.repeat(60)] });
    // 24 connections writing as fast as the daemon reads, for at most 8 s: far more than the main thread reduces.
    const flood = peerAs(ATTACKER, { mode: 'flood', path: d.paths.nixLog, conns: 24, line, perWrite: 600, ms: 8000 });
    peers.push(flood);
    await flood.reached('flooding');
    await within((async () => { while (!pausedUids(d.paths.logFile).includes(uidOf(ATTACKER))) await new Promise((r) => setTimeout(r, 50)); })(),
      20_000, 'the flood to be paused');
    // Meanwhile an honest user's Nix writes 2 MB of its log (filler its reducer ignores, then a real build).
    const filler = Array.from({ length: 6000 }, (_, j) => JSON.stringify({ action: 'msg', level: 6, msg: `honest ${j} ${'h'.repeat(200)}` }));
    const honest = peerAs(HONEST, { mode: 'honest', path: d.paths.nixLog, lines: [...filler, ...jsonLogLines(SUCCESS)], piece: 16_384, gapMs: 10 });
    peers.push(honest);
    const report = await within(honest.done, 60_000, 'the honest writer');
    expect(report.writes).toBe(Math.ceil(Number(report.bytes) / 16_384)); // every write completed
    await flood.done;
    const paused = pausedUids(d.paths.logFile);
    expect(paused.filter((u) => u === uidOf(ATTACKER)).length).toBeGreaterThan(0);
    expect(paused.filter((u) => u !== uidOf(ATTACKER))).toEqual([]);
    const doc = await waitForStatus(d.dir, (s) => s.jobs.some((j) => j.uid === uidOf(HONEST) && j.status !== 'running'), 60_000, 'the honest job to end');
    const job = doc.jobs.find((j) => j.uid === uidOf(HONEST))!;
    expect(job.status).toBe('succeeded');
    expect(doc.derivations.filter((x) => x.jobs.includes(job.source)).every((x) => x.status === 'built' || x.status === 'valid')).toBe(true);
    expect(alive(d.pid)).toBe(true);
  });
});
