// The regular file Nix leaves at json-log-path when no daemon listens: taken over, read bounded, shown as such.
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLeftFile, takeLeftFile } from '../../src/daemon/left-file.js';
import type { BtmEvent } from '../../src/state/events.js';
import { initialState, reduce } from '../../src/state/reducer.js';
import { root } from '../helpers.js';

const dirs: string[] = [];
const fresh = (): string => { const d = mkdtempSync(join(tmpdir(), 'left-file-')); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

/** A real Nix 2.30.5 stream (tests/fixtures/nix-2.30), as Nix appends it to the file. */
const REAL = join(root, 'tests/fixtures/nix-2.30/legacy-root-graph/conn-1.jsonl');

const read = async (dir: string, maxBytes?: number): Promise<{ events: BtmEvent[]; bytes: number }> => {
  const left = takeLeftFile(join(dir, 'nix-log.sock'), maxBytes, 1000);
  if (!left) throw new Error('nothing taken');
  const events: BtmEvent[] = [];
  const bytes = await readLeftFile(left, { source: 'left', publish: (e) => events.push(e), userName: () => 'root', log: () => undefined,
    stillWritten: () => false, chunkBytes: 4096 });
  return { events, bytes };
};

describe('takeLeftFile', () => {
  it('leaves a socket, a symlink and a missing path alone', async () => {
    const dir = fresh();
    expect(takeLeftFile(join(dir, 'nix-log.sock'))).toBeNull();
    symlinkSync('/etc/passwd', join(dir, 'nix-log.sock'));
    expect(takeLeftFile(join(dir, 'nix-log.sock'))).toBeNull();
    rmSync(join(dir, 'nix-log.sock'));
    const server = createServer();
    await new Promise<void>((r) => server.listen(join(dir, 'nix-log.sock'), () => r()));
    expect(takeLeftFile(join(dir, 'nix-log.sock'))).toBeNull();
    server.close();
  });

  it('frees the path at once and keeps the file open to read', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'nix-log.sock'), readFileSync(REAL));
    const left = takeLeftFile(join(dir, 'nix-log.sock'), undefined, 5);
    expect(left?.info).toMatchObject({ bytes: readFileSync(REAL).length, skippedBytes: 0, takenAt: 5 });
    expect(existsSync(join(dir, 'nix-log.sock'))).toBe(false);
  });
});

describe('readLeftFile', () => {
  it('replays a real 2.30.5 stream as a left-file source: its builds built, the source says where it came from', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'nix-log.sock'), readFileSync(REAL));
    const { events, bytes } = await read(dir);
    expect(bytes).toBe(readFileSync(REAL).length);
    let state = initialState();
    for (const e of events) state = reduce(state, e);
    const job = state.jobs.get('left');
    expect(job?.info.via).toBe('left-file');
    expect(job?.info.command).toMatch(/^from the log file left at .*nix-log\.sock while no daemon ran \(\d+ bytes\)$/);
    expect(job?.status).toBe('succeeded');
    const statuses = [...state.derivations.values()].map((d) => d.status);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 'built')).toBe(true);
    expect(state.decodeErrors).toBe(0);
  });

  it('a huge file: reads only its last maxBytes, from the first whole line, and says how much it skipped', async () => {
    const dir = fresh();
    const line = '{"action":"msg","level":0,"msg":"old noise that nobody needs"}\n';
    const tail = '{"action":"msg","level":0,"msg":"the last line"}\n';
    writeFileSync(join(dir, 'nix-log.sock'), line.repeat(200_000) + tail);
    const total = line.length * 200_000 + tail.length;
    const { events } = await read(dir, 100_000);
    const open = events[0] as Extract<BtmEvent, { kind: 'source-open' }>;
    expect(open.info.command).toContain(`the first ${total - 100_000} bytes skipped`);
    const records = events.filter((e) => e.kind === 'nix');
    // No partial first line decoded as garbage, and far fewer than the 200,000 lines of the whole file.
    expect(records.every((e) => e.kind === 'nix' && e.record.kind === 'msg')).toBe(true);
    expect(records.length).toBeLessThanOrEqual(Math.ceil(100_000 / line.length));
    expect(records.at(-1)).toMatchObject({ record: { kind: 'msg', msg: 'the last line' } });
  });
});
