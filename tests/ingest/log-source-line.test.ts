// A feed's lines reach the log source whole (LogSource.line): the same records as the same bytes pushed, with no
// second split; a line with newlines in it, or over the limit, is still split and bounded as bytes are.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLogSource } from '../../src/ingest/log-source.js';
import type { BtmEvent } from '../../src/state/events.js';
import { root } from '../helpers.js';

const info = { via: 'run' as const, pid: 1, uid: 0, user: 'root', command: 'nix-build' };

function records(feed: (s: ReturnType<typeof openLogSource>) => void, maxLineBytes?: number): unknown[] {
  const events: BtmEvent[] = [];
  const s = openLogSource({ source: 'run:1:1', info, clock: () => null, emit: (e) => events.push(e), ...(maxLineBytes ? { maxLineBytes } : {}) });
  feed(s);
  s.end(0, 'eof');
  return events.flatMap((e) => (e.kind === 'nix' ? [e.record] : []));
}

describe('LogSource.line', () => {
  it('gives the records the same log pushed as bytes gives (a real Nix 2.8 capture)', () => {
    const dir = join(root, 'tests/fixtures/nix-2.8');
    const text = readFileSync(join(dir, readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()[0]!), 'utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const pushed = records((s) => s.push(Buffer.from(text)));
    expect(pushed.length).toBeGreaterThan(10);
    expect(records((s) => { for (const l of lines) s.line(l); })).toEqual(pushed);
  });

  it('splits a line with newlines in it and bounds one over the limit, as bytes would be', () => {
    expect(records((s) => s.line('first\nsecond'))).toEqual(records((s) => s.push(Buffer.from('first\nsecond\n'))));
    expect(records((s) => s.line('first\nsecond'))).toHaveLength(2);
    const long = 'x'.repeat(5000);
    const viaLine = records((s) => s.line(long), 1024);
    expect(viaLine).toEqual(records((s) => s.push(Buffer.from(long + '\n')), 1024));
    expect(viaLine).toEqual([expect.objectContaining({ kind: 'invalid' })]);
  });
});
