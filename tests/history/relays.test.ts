// Which jobs the history lists, on a real Nix 2.30.5 capture (tests/fixtures/nix-2.30/two-users-overlap): user A's
// legacy `nix-build` (only its daemon worker connects) and user B's `nix build` (its client and its worker connect,
// carrying the same activities). The history lists what the live Jobs view shows: A's worker job (the only record of
// A's build) and B's client job; B's worker is a relay, listed only with `relays`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryRecorder } from '../../src/history/recorder.js';
import { HistoryQueries } from '../../src/history/queries.js';
import { openHistory } from '../../src/history/schema.js';
import { HistoryStore } from '../../src/history/store.js';
import { openLogSource, type LogSource } from '../../src/ingest/log-source.js';
import type { BtmEvent, SourceInfo } from '../../src/state/events.js';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { shownJobs } from '../../src/state/selectors.js';
import { root } from '../helpers.js';

type Conn = { file: string; pid: number; uid: number; argv: string[] };

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'btm-relays-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

type Truth = { connections: Conn[]; runs: { argv: string[]; user: string }[] };

/**
 * Who the daemon says is behind each connection (src/daemon/peer.ts): SO_PEERCRED for a client; for a worker
 * (argv `nix-daemon <client pid>`) its client's pid and user: the client connection's uid where it connected, else
 * (a legacy command) the user the daemon read from /proc/<client pid>, here the capture's record of who ran it.
 */
function infoOf(c: Conn, truth: Truth): SourceInfo {
  const command = c.argv.join(' ');
  if (!(c.argv[0] ?? '').endsWith('/nix-daemon')) return { via: 'socket', pid: c.pid, uid: c.uid, user: `uid${c.uid}`, command };
  const client = Number(c.argv[1]);
  const uid = truth.connections.find((x) => x.pid === client)?.uid ?? null;
  const legacy = truth.runs.find((r) => r.argv.some((a) => a.endsWith('/nix-build')))?.user ?? null;
  return { via: 'socket', pid: client, uid, user: uid === null ? legacy : `uid${uid}`, command, daemonWorker: true,
    peer: { pid: c.pid, uid: c.uid }, attributedBy: 'worker-argv' };
}

/** The capture's connections replayed in their arrival order, with a clock of 5 ms per chunk, into the recorder. */
function replay(name: string, recorder: HistoryRecorder, exitCode: number | null = 0): State {
  const capture = join(root, 'tests/fixtures/nix-2.30', name);
  const truth = JSON.parse(readFileSync(join(capture, 'truth.json'), 'utf8')) as Truth;
  const conns = truth.connections;
  let state = initialState();
  let t = 1_700_000_000_000;
  const emit = (e: BtmEvent): void => { state = reduce(state, e); recorder.observe(e, state); };
  const sources = conns.map((c, i) => ({
    src: openLogSource({ source: `nix:${c.pid}:${i + 1}`, emit, clock: () => t, info: infoOf(c, truth) }) as LogSource,
    bytes: readFileSync(join(capture, c.file)), at: 0,
  }));
  for (const line of readFileSync(join(capture, 'arrival.jsonl'), 'utf8').split('\n').filter(Boolean)) {
    const a = JSON.parse(line) as { c: number; bytes: number };
    const s = sources[a.c - 1]!;
    t += 5;
    s.src.push(s.bytes.subarray(s.at, s.at + a.bytes));
    s.at += a.bytes;
  }
  for (const s of sources) s.src.end(exitCode, 'eof');
  return state;
}

describe('history: relays', () => {
  it('a legacy build\'s worker is a job of the history; a new-CLI client\'s worker is its relay', () => {
    const db = openHistory(join(dir, 'h.sqlite'));
    const store = new HistoryStore(db);
    const recorder = new HistoryRecorder('d1', () => 'hostA');
    const state = replay('two-users-overlap', recorder);
    store.writeBatch(recorder.take(state)!);
    const q = new HistoryQueries(db);
    const listed = q.jobs().map((j) => j.command).sort();
    const all = q.jobs({ relays: true }).map((j) => j.command).sort();
    expect(all).toEqual([expect.stringMatching(/^\/opt\/nix-new\/bin\/nix build .* onlyB /), '/opt/nix-new/bin/nix-daemon 5037', '/opt/nix-new/bin/nix-daemon 5041']);
    // A's worker (its client, a legacy nix-build, never connected) and B's client; not B's worker.
    expect(listed).toEqual(all.filter((c) => c !== '/opt/nix-new/bin/nix-daemon 5041'));
    // What the history lists is what the live Jobs view shows.
    expect(shownJobs(state).map((j) => j.info.command).sort()).toEqual(listed);
    // A user's filter finds that user's legacy build (the worker's job is its client's user's).
    expect(q.jobs({ user: 'btm-global-a' }).map((j) => j.command)).toEqual(['/opt/nix-new/bin/nix-daemon 5037']);
    db.close();
  });

  it('a legacy build wider than max-jobs: the row counts the builds Nix expected, the never-started top as cancelled', () => {
    const db = openHistory(join(dir, 'h.sqlite'));
    const store = new HistoryStore(db);
    const recorder = new HistoryRecorder('d1', () => 'hostA');
    // The socket carries no exit code: the job's outcome comes from the log (bad failed).
    const state = replay('legacy-root-wide', recorder, null);
    store.writeBatch(recorder.take(state)!);
    const [row] = new HistoryQueries(db).jobs();
    expect(row).toMatchObject({ status: 'failed', planned: 14, built: 12, failed: 1, cancelled: 1 });
    db.close();
  });
});
