// The widget's frame (issue 15) on real captures: downloads, the ETA column's estimates, the room it is given.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../src/ingest/decode.js';
import type { State } from '../../src/state/model.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import type { EtaTable } from '../../src/ui/eta-column.js';
import { lineText, widgetLines } from '../../src/widget/frame.js';
import { finalReport } from '../../src/widget/report.js';
import { root } from '../helpers.js';

const CAPTURES = join(root, 'tests/fixtures/captures');

function feed(capture: string, upTo = Infinity): { state: State; at: number } {
  const lines = readFileSync(join(CAPTURES, `${capture}.jsonl`), 'utf8').split('\n').filter((l) => l !== '');
  let at = 5_000_000;
  let state = reduce(initialState(), { kind: 'source-open', at, source: 'run', info: { via: 'run', pid: null, uid: null, user: null, command: capture } });
  for (const [i, line] of lines.entries()) {
    if (i >= upTo) return { state, at };
    at += 250;
    state = reduce(state, { kind: 'nix', at, source: 'run', record: decodeLine(line) });
  }
  return { state: reduce(state, { kind: 'source-close', at, source: 'run', exitCode: 0, reason: 'eof' }), at };
}

const frame = (state: State, at: number, rows = 20, columns = 100, eta: EtaTable | null = null): string[] =>
  widgetLines(state, ['run'], { now: at, rows, columns, eta, spinner: false }).map(lineText);

describe('frame', () => {
  it('a substitution from a binary cache shows as a download while it runs, and in the final report', () => {
    // Line 33 of the capture starts the copy of leaf-2 inside its Substitute activity.
    const mid = feed('truth/daemon-substitute', 33);
    const lines = frame(mid.state, mid.at);
    const head = lines.indexOf('┣━ Downloads');
    expect(head).toBeGreaterThan(0);
    expect(lines[head + 1]).toMatch(/^┃ ↓ leaf-2 0B ⏱ 0s$/);
    expect(lines.at(-1)).toMatch(/│ ↓ 1 ⇣ 0 │/);
    const end = feed('truth/daemon-substitute');
    expect(finalReport(end.state, ['run'], end.at)).toContain('nix-btm: ↓ 1 path downloaded (0B)');
  });

  it('a real HTTP download (widget/download-http): bytes of the total and the rate while it runs, the total at the end', () => {
    // Line 600: the output's copy is at 4,030,464 of 8,000,280 bytes; the .nar.xz download runs beside it.
    const mid = feed('widget/download-http', 600);
    const lines = frame(mid.state, mid.at);
    expect(lines).toContain('┏━ Downloads');
    // One record every 250 ms here: 4,030,464 bytes in 136 s is 29K/s.
    expect(lines).toContain('┃ ↓ wdg-big-download 3.8M/7.6M 29K/s ⏱ 2m16s');
    expect(lines.some((l) => /^┃ ↓ [0-9a-z]{52}\.nar\.xz 4\.0M\/7\.6M 30K\/s ⏱ 2m16s$/.test(l))).toBe(true);
    // Two transfers run; the narinfo downloads ended, but no store path is fetched yet.
    expect(lines.at(-1)).toMatch(/│ ↓ 2 ⇣ 0 │/);
    const end = feed('widget/download-http');
    expect(finalReport(end.state, ['run'], end.at).find((l) => l.includes('downloaded'))).toBe('nix-btm: ↓ 1 path downloaded (7.6M)');
  });

  it('running builds show the time left from the history, the summary the job\'s ETA', () => {
    const { state, at } = feed('log-daemon-root-graph-success', 120);
    const eta: EtaTable = { estimate: (name) => ({ ms: 30_000, basis: 'same version, this host', samples: 3, name } as never), slots: () => 4 };
    const lines = frame(state, at, 30, 100, eta);
    expect(lines.some((l) => /⏵ \S+ \w+Phase ⏱ \d+s \(~\d+(\.\d)?s\)$/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/│ ETA ~\d+(s|m\d\ds)$/);
    expect(frame(state, at).at(-1)).not.toContain('ETA');
  });

  it('fits any room: no line reaches the last column, never more lines than rows', () => {
    const { state, at } = feed('log-daemon-root-graph-fail-libgamma-keep-going', 200);
    for (const [rows, columns] of [[3, 20], [6, 30], [10, 40], [40, 200]] as const) {
      const lines = frame(state, at, rows, columns);
      expect(lines.length).toBeLessThanOrEqual(rows);
      for (const l of lines) expect([...l].length).toBeLessThan(columns);
      expect(lines.at(-1)).toMatch(/∑/);
    }
  });
});
