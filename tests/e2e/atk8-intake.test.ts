// The log intake thread (src/daemon/log-intake-worker.ts) against real unprivileged peers of a real root daemon: it
// reads every connection into one shared buffer and pauses a connection only when the main thread is far behind.
// One user flooding many connections put the users' shared allowance (64 MiB owed) over its bound, and then every
// other user's connection that sent was paused too: an honest Nix blocked in write() for as long as the flood lasted.
// And connections writing interleaved partial lines, cut at 1 byte, 64 KiB and 128 KiB, closing mid-line, shut
// half-way or left silent: each connection's lines reach its own source, whole and in order, nothing lost.
import { chmodSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { subscribe, type Subscription } from '../../src/client/daemon-client.js';
import { decodeLine } from '../../src/ingest/decode.js';
import type { BtmEvent } from '../../src/state/events.js';
import { ATTACKER, HONEST, cleanPeers, ensureUsers, peerAs, uidOf, type Peer } from './atk8-helpers.js';
import { alive, jsonLogLines, startDaemon, stopAll, waitForStatus, within } from './daemon-helpers.js';

const SUCCESS = 'log-daemon-root-graph-success';

beforeAll(() => ensureUsers());
const peers: Peer[] = [];
const subscriptions: Subscription[] = [];

afterEach(async () => {
  for (const p of peers.splice(0)) p.kill();
  for (const s of subscriptions.splice(0)) s.close();
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

/** Piece sizes, one per connection: single bytes, odd sizes, the intake's 64 KiB buffer exactly, one past it, twice it. */
const PIECES = [1, 13, 4093, 65_536, 65_537, 131_072, 200_000, 7];
const ENDINGS = ['end', 'cut', 'half', 'hold'] as const;
/** 32 connections: every piece size with every ending. */
const CONNS = 32;
const endingOf = (i: number): typeof ENDINGS[number] => ENDINGS[(i + Math.floor(i / PIECES.length)) % ENDINGS.length]!;

/** Connection i's lines: its tag and line number first; multi-byte text cut by the pieces; lines past 16 KiB and 64 KiB. */
function connectionLines(i: number): string[] {
  const small = PIECES[i % PIECES.length]! < 4096;
  const pads = small ? [0, 50, 300, 2000, 0, 17] : [0, 100, 16_500, 70_000, 1000, 65_476, 3, 140_000, 0, 20];
  return pads.map((pad, j) => JSON.stringify({ action: 'msg', level: 6, msg: `c${i} n${j} ${'é😀'.repeat(j)}${'x'.repeat(pad)}` }));
}
const tailOf = (i: number): string => JSON.stringify({ action: 'msg', level: 6, msg: `c${i} tail` });

/** Per source, its events in ring order (a live subscription: every record, decoded as a client decodes it). */
async function eventsBySource(control: string): Promise<{ sub: Subscription; by: Map<string, BtmEvent[]> }> {
  const by = new Map<string, BtmEvent[]>();
  const sub = await subscribe(control, {
    onEvent: (e) => {
      if (!('source' in e)) return;
      let list = by.get(e.source);
      if (!list) by.set(e.source, list = []);
      list.push(e);
    },
  });
  subscriptions.push(sub);
  sub.onReadable(() => sub.poll());
  return { sub, by };
}

const msgsOf = (events: readonly BtmEvent[]): string[] =>
  events.flatMap((e) => (e.kind === 'nix' && e.record.kind === 'msg' ? [e.record.msg] : []));

describe('interleaved partial lines on many connections', () => {
  it('each connection’s lines reach its own source whole and in order; cut, half-shut and silent peers; an honest build meanwhile', async () => {
    const d = await startDaemon();
    chmodSync(d.dir, 0o755);
    const { sub, by } = await eventsBySource(d.paths.control);
    const conns = CONNS;
    const lines = Array.from({ length: conns }, (_, i) => connectionLines(i));
    const attack = peerAs(ATTACKER, { mode: 'interleave', path: d.paths.nixLog, lines, piece: PIECES, endings: lines.map((_, i) => endingOf(i)),
      tails: lines.map((_, i) => tailOf(i)), holdMs: 120_000 });
    peers.push(attack);
    const capture = jsonLogLines(SUCCESS);
    const honest = peerAs(HONEST, { mode: 'honest', path: d.paths.nixLog, lines: capture, piece: 4096, gapMs: 2 });
    peers.push(honest);
    await within(Promise.all([attack.reached('ended'), honest.done]), 120_000, 'the peers to write everything');
    const expected = (i: number, withTail: boolean): string[] => [...lines[i]!.map((l) => (decodeLine(l) as { msg: string }).msg), ...(withTail ? [`c${i} tail`] : [])];
    /** The attacker's sources by the tag of their first line. */
    const tagged = (): Map<number, BtmEvent[]> => {
      const out = new Map<number, BtmEvent[]>();
      for (const events of by.values()) {
        const first = msgsOf(events)[0];
        const tag = first === undefined ? null : /^c(\d+) n0 /.exec(first)?.[1];
        if (tag != null) out.set(Number(tag), events);
      }
      return out;
    };
    const settled = (holdsClosed: boolean): boolean => {
      sub.poll();
      const t = tagged();
      return t.size === conns && [...t].every(([i, events]) => {
        const ending = endingOf(i);
        const closed = events.at(-1)?.kind === 'source-close';
        return ending === 'hold' && !holdsClosed ? msgsOf(events).length === lines[i]!.length : closed;
      });
    };
    await within((async () => { while (!settled(false)) await new Promise((r) => setTimeout(r, 100)); })(), 60_000, 'every connection’s lines');
    // Still open, a silent peer's partial line waits; every other ending flushed it as its last line.
    for (const [i, events] of tagged()) {
      const ending = endingOf(i);
      expect(msgsOf(events), `connection ${i} (${ending}, pieces of ${PIECES[i % PIECES.length]})`).toEqual(expected(i, ending === 'cut' || ending === 'half'));
      expect(events[0]).toMatchObject({ kind: 'source-open', info: { uid: uidOf(ATTACKER) } });
    }
    attack.kill();
    await within((async () => { while (!settled(true)) await new Promise((r) => setTimeout(r, 100)); })(), 30_000, 'the silent peers to close');
    for (const [i, events] of tagged()) expect(msgsOf(events), `connection ${i}`).toEqual(expected(i, endingOf(i) !== 'end'));
    // The honest user's Nix: its source holds exactly its records, in order, as the decoder reads them.
    const mine = [...by.values()].filter((events) => events[0]?.kind === 'source-open' && events[0].info.uid === uidOf(HONEST));
    expect(mine).toHaveLength(1);
    const records = mine[0]!.flatMap((e) => (e.kind === 'nix' ? [e.record] : []));
    expect(records).toEqual(capture.map((l) => decodeLine(l)));
    expect(sub.invalidRecords).toBe(0);
    expect(alive(d.pid)).toBe(true);
  });
});
