// ssh-ng relays the far daemon's own activities of an offloaded build inside the local Nix's stream (a second Build
// activity for the same drv with machine "", a nested Builds with its own counters): real captures of Nix 2.8 and
// 2.30 (tests/fixtures/machines). The relay's stop and counters are not the job's: every build ends as Nix built it,
// and the job's counters are never the far daemon's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayFiles } from '../../src/ingest/replay.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { root } from '../helpers.js';

const dir = join(root, 'tests/fixtures/machines');

describe.each(['nix-2.8', 'nix-2.30'])('%s ssh-ng relays', (nix) => {
  it.each(['machines-file', 'semicolons', 'ssh-ng'])('%s: every build built, the job’s counters only its own Builds activity’s', async (form) => {
    const path = join(dir, nix, `${form}.jsonl`);
    // The job's own Builds activity is the first one the capture opens; its counters, as Nix wrote them.
    const records = readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('@nix ')).map((l) => JSON.parse(l.slice(5)) as { action: string; id?: number; type?: number; fields?: number[] });
    const own = records.find((r) => r.action === 'start' && r.type === 104)!.id;
    const ownSeq = dedupe(records.filter((r) => r.action === 'result' && r.type === 105 && r.id === own).map((r) => r.fields!.join(',')));
    let state = initialState();
    const seen: string[] = [];
    await replayFiles([path], (e) => {
      state = reduce(state, e);
      for (const j of state.jobs.values()) if (j.realising) seen.push([j.progress.done, j.progress.expected, j.progress.running, j.progress.failed].join(','));
    });
    expect(dedupe(seen).filter((p) => p !== '0,0,0,0')).toEqual(ownSeq.filter((p) => p !== '0,0,0,0'));
    const drvs = [...state.derivations.values()];
    expect(drvs.length).toBe(form === 'ssh-ng' ? 1 : 2);
    expect(drvs.map((d) => d.status)).toEqual(drvs.map(() => 'built'));
    expect(drvs.every((d) => d.machine !== null && d.machine.startsWith('ssh'))).toBe(true);
    expect([...state.jobs.values()][0]!.progress).toMatchObject({ done: drvs.length, failed: 0 });
  });
});

const dedupe = (xs: readonly string[]): string[] => xs.filter((x, i) => i === 0 || xs[i - 1] !== x);
