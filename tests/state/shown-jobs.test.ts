// A `nix build` through the daemon reaches json-log-path twice (client and daemon worker): one job is shown.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../src/ingest/decode.js';
import type { BtmEvent, SourceInfo } from '../../src/state/events.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { shownJobs } from '../../src/state/selectors.js';
import { fixture } from '../helpers.js';

const client: SourceInfo = { via: 'socket', pid: 10, uid: 1000, user: 'alice', command: 'nix build .#x' };
const worker: SourceInfo = { via: 'socket', pid: 11, uid: 0, user: 'root', command: 'nix-daemon --daemon', daemonWorker: true };

function both(file: string, closeClient: boolean): ReturnType<typeof initialState> {
  const lines = readFileSync(fixture(file), 'utf8').split('\n').filter((l) => l !== '').map((l) => l.replace(/^@nix /, ''));
  let s = initialState();
  const ev = (e: BtmEvent): void => { s = reduce(s, e); };
  ev({ kind: 'source-open', at: 1, source: 'c', info: client });
  ev({ kind: 'source-open', at: 1, source: 'w', info: worker });
  for (const l of closeClient ? lines : lines.slice(0, lines.length / 2)) for (const source of ['c', 'w']) ev({ kind: 'nix', at: 2, source, record: decodeLine(l) });
  if (closeClient) for (const source of ['c', 'w']) ev({ kind: 'source-close', at: 3, source, exitCode: null, reason: 'eof' });
  return s;
}

describe('shownJobs', () => {
  it('hides the worker stream that duplicates a client stream, mid-build and after', () => {
    for (const closed of [false, true]) {
      const s = both('log-daemon-root-dag-success-v1.jsonl', closed);
      expect(s.jobs.size).toBe(2);
      expect(shownJobs(s).map((j) => j.source)).toEqual(['c']);
      expect([...s.derivations.values()].filter((d) => d.status === (closed ? 'built' : 'running')).length).toBeGreaterThan(0);
    }
  });

  it('shows a worker stream alone (legacy nix-build never writes json-log-path itself)', () => {
    let s = initialState();
    s = reduce(s, { kind: 'source-open', at: 1, source: 'w', info: worker });
    for (const l of readFileSync(fixture('log-daemon-root-fail-single.jsonl'), 'utf8').split('\n').filter(Boolean)) {
      s = reduce(s, { kind: 'nix', at: 2, source: 'w', record: decodeLine(l) });
    }
    expect(shownJobs(s).map((j) => j.source)).toEqual(['w']);
  });

  it('live workers: hidden only by their own client (the kernel-attested pid), never by another stream naming their derivations', () => {
    const lines = readFileSync(fixture('log-daemon-root-dag-success-v1.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/^@nix /, ''));
    const attested: SourceInfo = { via: 'socket', pid: 10, uid: 1000, user: 'alice', command: 'nix build .#x', daemonWorker: true,
      peer: { pid: 11, uid: 0 }, attributedBy: 'client-socket' };
    const mallory: SourceInfo = { via: 'socket', pid: 66, uid: 1066, user: 'mallory', command: 'nix build' };
    const run = (infos: Record<string, SourceInfo>): string[] => {
      let s = initialState();
      for (const [source, info] of Object.entries(infos)) s = reduce(s, { kind: 'source-open', at: 1, source, info });
      for (const l of lines) for (const source of Object.keys(infos)) s = reduce(s, { kind: 'nix', at: 2, source, record: decodeLine(l) });
      return shownJobs(s).map((j) => j.source);
    };
    // The worker of alice's `nix build`, and alice's client: one job, the client's (plan and errors).
    expect(run({ w: attested, c: client })).toEqual(['c']);
    expect(run({ c: client, w: attested })).toEqual(['c']);
    // Mallory streams the very same records: alice's worker stays shown, and so does mallory's own stream.
    expect(run({ w: attested, m: mallory })).toEqual(['w', 'm']);
    // A client with that pid but another uid (a recycled pid) hides nothing either.
    expect(run({ w: attested, c: { ...client, uid: 1001 } })).toEqual(['w', 'c']);
  });
});
