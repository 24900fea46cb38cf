// Issue 14 in the reducer: a source may only affect what it started (owners), whatever it writes. The victim's
// records are real ones (tests/fixtures/captures/truth/daemon-killed.jsonl); the attacker's are written here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDecoder } from '../../src/ingest/decode.js';
import type { BtmEvent, SourceInfo } from '../../src/state/events.js';
import type { NixRecord } from '../../src/state/nix.js';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { root } from '../helpers.js';

const info = (uid: number): SourceInfo => ({ via: 'socket', pid: 100 + uid, uid, user: `u${uid}`, command: 'nix' });

function realRecords(): NixRecord[] {
  const decoder = createDecoder();
  const lines = readFileSync(join(root, 'tests/fixtures/captures/truth/daemon-killed.jsonl'), 'utf8').split('\n').filter(Boolean);
  return lines.map((l) => decoder.decode(l));
}

function feed(state: State, source: string, records: readonly NixRecord[]): State {
  for (const record of records) state = reduce(state, { kind: 'nix', at: null, source, record } as BtmEvent);
  return state;
}

describe('owners', () => {
  it('a forged failure, cancellation and log lines from another uid change nothing of root’s build', () => {
    const records = realRecords();
    // Root's worker up to the first Build start of slow-a (running).
    const upTo = records.findIndex((r) => r.kind === 'start' && r.type === 105 && String(r.fields[0]).includes('slow-a'));
    let state = reduce(initialState(), { kind: 'source-open', at: null, source: 'root', info: info(0) });
    state = feed(state, 'root', records.slice(0, upTo + 1));
    const drv = String((records[upTo] as unknown as { fields: string[] }).fields[0]);
    state = reduce(state, { kind: 'source-open', at: null, source: 'evil', info: info(1002) });
    state = feed(state, 'evil', [
      { kind: 'start', id: '7', level: 3, type: 105, text: '', parent: '0', fields: [drv, '', 1, 1] },
      { kind: 'result', id: '7', type: 101, fields: ['FORGED'] },
      { kind: 'msg', level: 0, msg: `error: builder for '${drv}' failed with exit code 1` },
      { kind: 'msg', level: 0, msg: `error: 1 dependencies of derivation '${drv}' failed to build` },
      { kind: 'result', id: '7', type: 110, fields: [], payload: { success: false, status: 'PermanentFailure', errorMsg: 'forged' } },
      { kind: 'stop', id: '7' },
    ]);
    state = reduce(state, { kind: 'source-close', at: null, source: 'evil', exitCode: null, reason: 'eof' });
    expect(state.derivations.get(drv)).toMatchObject({ status: 'running', owners: ['root'] });
    expect(state.derivations.get(drv)?.log.buf.includes('FORGED')).toBe(false);
    // The real stream goes on: slow-a is killed by quick-fail's failure, as Nix said.
    state = feed(state, 'root', records.slice(upTo + 1));
    state = reduce(state, { kind: 'source-close', at: null, source: 'root', exitCode: 1, reason: 'eof' });
    expect(state.derivations.get(drv)).toMatchObject({ status: 'cancelled', reason: 'killed: another build failed' });
  });

  it('root takes over a build an impostor claimed first; the same uid may join (client + its worker)', () => {
    const drv = '/nix/store/00000000000000000000000000000001-x.drv';
    const start: NixRecord = { kind: 'start', id: '1', level: 3, type: 105, text: '', parent: '0', fields: [drv, '', 1, 1] };
    let state = initialState();
    for (const [s, uid] of [['evil', 1002], ['user', 1000], ['user2', 1000], ['worker', 0]] as const) {
      state = reduce(state, { kind: 'source-open', at: null, source: s, info: info(uid) });
    }
    state = feed(state, 'evil', [start]);
    expect(state.derivations.get(drv)?.owners).toEqual(['evil']);
    state = feed(state, 'worker', [start]);
    expect(state.derivations.get(drv)?.owners).toEqual(['worker']);
    state = feed(state, 'evil', [{ kind: 'msg', level: 0, msg: `error: builder for '${drv}' failed with exit code 1` }]);
    expect(state.derivations.get(drv)?.status).toBe('running');
    const other = '/nix/store/00000000000000000000000000000002-y.drv';
    state = feed(state, 'user', [{ ...start, fields: [other, '', 1, 1] }]);
    state = feed(state, 'user2', [{ ...start, fields: [other, '', 1, 1] }]);
    state = feed(state, 'evil', [{ ...start, fields: [other, '', 1, 1] }]);
    expect(state.derivations.get(other)?.owners).toEqual(['user', 'user2']);
  });
});

describe('Determinate Nix BuildResult (result 110) — SYNTHETIC records built here from its build-result.cc format', () => {
  const drv = '/nix/store/00000000000000000000000000000003-z.drv';
  const run = (payload: unknown, activity = true): State => {
    const state = reduce(initialState(), { kind: 'source-open', at: null, source: 's', info: info(0) });
    const recs: NixRecord[] = [
      { kind: 'start', id: '9', level: 0, type: 104, text: '', parent: '0', fields: [] },
      { kind: 'start', id: '1', level: 3, type: 105, text: '', parent: '0', fields: [drv, '', 1, 1] },
      { kind: 'result', id: activity ? '1' : '9', type: 110, fields: [], payload },
      { kind: 'stop', id: '1' },
    ];
    return feed(state, 's', recs);
  };
  it('gives the outcome directly, on the Build activity or by the payload’s path', () => {
    expect(run({ success: true, status: 'Built', timesBuilt: 1, startTime: 1, stopTime: 2, builtOutputs: {} }).derivations.get(drv))
      .toMatchObject({ status: 'built', basis: 'nix' });
    expect(run({ success: false, status: 'TimedOut', errorMsg: 'building of x timed out after 3 seconds', isNonDeterministic: false }).derivations.get(drv))
      .toMatchObject({ status: 'failed', reason: 'TimedOut: building of x timed out after 3 seconds' });
    expect(run({ success: true, status: 'Substituted', path: { drvPath: drv, outputs: ['out'] } }, false).derivations.get(drv))
      .toMatchObject({ status: 'substituted' });
    expect(run({ success: false, status: 'DependencyFailed', errorMsg: '', path: { drvPath: '00000000000000000000000000000003-z.drv' } }, false).derivations.get(drv))
      .toMatchObject({ status: 'cancelled' });
  });
  it('tolerates malformed payloads and the newer types (FetchTree 112, FetchToStore 113, FetchStatus 108, 109 both meanings)', () => {
    for (const payload of [null, 5, 'x', [], { status: 7 }, { success: true, status: 'Nonsense' }, { path: { drvPath: { nested: 1 } }, status: 'Built' }]) {
      expect(() => run(payload)).not.toThrow();
      expect(() => run(payload, false)).not.toThrow();
    }
    let state = reduce(initialState(), { kind: 'source-open', at: null, source: 's', info: info(0) });
    state = feed(state, 's', [
      { kind: 'start', id: '1', level: 0, type: 112, text: 'fetching', parent: '0', fields: ['github:x/y'] },
      { kind: 'start', id: '2', level: 0, type: 113, text: 'copying', parent: '1', fields: [] },
      { kind: 'result', id: '2', type: 109, fields: ['/nix/store/00000000000000000000000000000004-source'] },
      { kind: 'result', id: '1', type: 108, fields: ['x'] },
      { kind: 'result', id: '1', type: 109, fields: ['sha256-a', 'sha256-b'] },
      { kind: 'stop', id: '2' }, { kind: 'stop', id: '1' },
    ]);
    expect(state.unknownRecords).toBe(0);
    expect(state.derivations.size).toBe(0);
  });
});
