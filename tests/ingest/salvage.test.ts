// A giant builder log line costs a bounded prefix and tail, and still shows in its build's log, cut.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLogSource } from '../../src/ingest/log-source.js';
import { salvageLogLine } from '../../src/ingest/salvage.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { stateReport } from '../../src/state/report.js';
import { root } from '../helpers.js';

const capture = (): string[] => readFileSync(join(root, 'tests/fixtures/captures/log-daemon-root-graph-success.jsonl'), 'utf8')
  .split('\n').filter((l) => l.startsWith('@nix '));

describe('giant build-log lines', () => {
  it('a 3 MB line of a real build lands in that build, cut to a prefix, with its size said', () => {
    const lines = capture();
    const at = lines.findIndex((l) => l.includes('"fields":["Running phase: buildPhase"]'));
    const giant = lines[at]!.replace('Running phase: buildPhase', `huge ${'\\u00e9\\"x'.repeat(400_000)} end`);
    lines.splice(at + 1, 0, giant);
    let state = initialState();
    const log = openLogSource({ source: 's', emit: (e) => { state = reduce(state, e); }, clock: () => 1, maxLineBytes: 64 << 10,
      info: { via: 'socket', pid: 1, uid: 0, user: 'root', command: 'nix-build' } });
    const bytes = Buffer.from(lines.join('\n') + '\n');
    for (let i = 0; i < bytes.length; i += 65_536) log.push(bytes.subarray(i, i + 65_536));
    log.end(0, 'eof');
    expect(log.stats.invalid).toBe(0);
    const id = /"id":(\d+)/.exec(giant)![1];
    const drv = stateReport(state, { logTail: 1000 }).derivations.find((d) => d.logTail.some((t) => t.startsWith('huge é"xé"x')));
    expect(drv, `the build of activity ${id}`).toBeDefined();
    const cut = drv!.logTail.find((t) => t.startsWith('huge '))!;
    expect(cut).toMatch(new RegExp(`\\[line of ${Buffer.byteLength(giant)} bytes cut\\]$`));
    expect(cut.length).toBeLessThan(10_000);
  });

  it('refuses what is not a build-log line, and cuts inside an escape safely', () => {
    expect(salvageLogLine('{"action":"msg","level":0,"msg":"xxxx', '"}', 1e6)).toBeNull();
    expect(salvageLogLine('{"action":"result","fields":["xx', '"],"id":5,"type":105}', 1e6)).toBeNull();
    expect(salvageLogLine('{"action":"result","fields":["ab\\u00', 'x"],"id":5,"type":101}', 1e6))
      .toMatchObject({ kind: 'result', id: '5', type: 101, fields: ['ab … [line of 1000000 bytes cut]'] });
    expect(salvageLogLine('{"action":"result","fields":["ab\\', 'x"],"id":5,"type":101}', 10))
      .toMatchObject({ fields: ['ab … [line of 10 bytes cut]'] });
  });
});
