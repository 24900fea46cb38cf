// `nix-btm proxy` on its own, against a real daemon with a small ring: a reader that stops reading (ssh's buffer
// full) holds the proxy back (backpressure: it reads the ring no further), the daemon laps it, and the proxy starts
// again from a fresh snapshot; whoever applies the stream ends with exactly the daemon's state.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { hello } from '../../src/client/daemon-client.js';
import { decodeEventArray, decodeRecord, RECORD_KIND_EVENT } from '../../src/protocol/events.js';
import { LineSplitter } from '../../src/ingest/lines.js';
import { parseProxyMessage } from '../../src/remote/wire.js';
import type { State } from '../../src/state/model.js';
import { reduce } from '../../src/state/reducer.js';
import { fromSnapshot, toSnapshot } from '../../src/state/snapshot.js';
import { BIN, sleep, startDaemon, stopAll } from './daemon-helpers.js';
import { waitFor } from './nix-harness.js';

afterEach(async () => { await stopAll(); });

describe('nix-btm proxy', () => {
  it('backpressure, then a lapped reader re-snapshots: the stream applied equals the daemon', async () => {
    const d = await startDaemon({ ringMiB: 1, refreshMs: 3_600_000 });
    const proxy = spawn(process.execPath, [BIN, 'proxy', '--runtime-dir', d.dir], { stdio: ['pipe', 'pipe', 'inherit'] });
    let state: State | null = null;
    let hellos = 0;
    let events = 0;
    const splitter = new LineSplitter({
      line: (text) => {
        if (text.startsWith('E ')) {
          const d = decodeRecord(RECORD_KIND_EVENT, Buffer.from(text.slice(2)));
          expect(d.ok).toBe(true);
          if (d.ok && state) { state = reduce(state, d.event); events++; }
        } else if (text.startsWith('C ')) {
          const m = parseProxyMessage(text.slice(2));
          if ('t' in m && m.t === 'hello') { state = fromSnapshot(m.snapshot); hellos++; }
        }
      },
      oversize: () => { throw new Error('oversize line from the proxy'); },
    }, 512 << 20);
    proxy.stdout!.on('data', (c: Buffer) => splitter.push(c));
    await waitFor(() => hellos === 1, 20_000, 'the first hello');
    proxy.stdout!.pause();
    // A feed writing ~6 MB of log lines into a 1 MiB ring while nobody reads the proxy.
    const feed = connect(d.paths.control);
    await new Promise((r) => feed.once('connect', r));
    feed.write(JSON.stringify({ op: 'feed', command: 'flood', pid: null }) + '\n');
    const start = { action: 'start', id: 1, level: 3, type: 105, text: "building '/nix/store/00000000000000000000000000000000-flood.drv'", parent: 0,
      fields: ['/nix/store/00000000000000000000000000000000-flood.drv', '', 1, 1] };
    feed.write(JSON.stringify({ line: `@nix ${JSON.stringify(start)}` }) + '\n');
    for (let i = 0; i < 30_000; i++) {
      feed.write(JSON.stringify({ line: `@nix ${JSON.stringify({ action: 'result', id: 1, type: 101, fields: [`line ${i} ${'x'.repeat(150)}`] })}` }) + '\n');
      if (i % 1000 === 0) await sleep(5);
    }
    feed.end(JSON.stringify({ exit: 0 }) + '\n');
    await waitFor(async () => (await hello(d.paths.control)).state.jobs.size === 1 && [...(await hello(d.paths.control)).state.jobs.values()][0]!.status !== 'running',
      60_000, 'the flood reduced by the daemon');
    proxy.stdout!.resume();
    await waitFor(async () => {
      const theirs = (await hello(d.paths.control)).state;
      return hellos >= 2 && state !== null && JSON.stringify(toSnapshot(state)) === JSON.stringify(toSnapshot(theirs));
    }, 60_000, 'a second snapshot and the same state as the daemon');
    expect(hellos).toBeGreaterThanOrEqual(2);
    // Fewer events than written came through: the lapped part was replaced by the snapshot, not replayed.
    expect(events).toBeLessThan(30_000);
    proxy.stdin!.end();
    const code = await new Promise((r) => proxy.once('exit', r));
    expect(code).toBe(0);
  });

  it('the batch framing, when asked for: each ring read one "B [...]" line; the stream applied equals the daemon', async () => {
    const d = await startDaemon({ refreshMs: 3_600_000 });
    const proxy = spawn(process.execPath, [BIN, 'proxy', '--runtime-dir', d.dir], { stdio: ['pipe', 'pipe', 'inherit'] });
    let state: State | null = null;
    let framings: readonly string[] | undefined;
    const replies: { id: number; ok: boolean; reason?: string }[] = [];
    const kinds = { E: 0, B: 0, events: 0 };
    const splitter = new LineSplitter({
      line: (text) => {
        if (text.startsWith('E ')) {
          // Before the switch's reply (in the stream's order) single events are the framing asked for: the daemon's
          // first scan may land between the hello and the switch.
          if (replies.some((r) => r.id === 8)) kinds.E++;
          const r = decodeRecord(RECORD_KIND_EVENT, Buffer.from(text.slice(2)));
          if (r.ok && state) { state = reduce(state, r.event); kinds.events++; }
        } else if (text.startsWith('B ')) {
          kinds.B++;
          const r = decodeEventArray(text.slice(2));
          expect(r.ok).toBe(true);
          if (r.ok && state) for (const e of r.events) { state = reduce(state, e); kinds.events++; }
        } else if (text.startsWith('C ')) {
          const m = parseProxyMessage(text.slice(2));
          if ('t' in m && m.t === 'hello') { state = fromSnapshot(m.snapshot); framings = m.framings; }
          if ('t' in m && m.t === 'reply') replies.push(m);
        }
      },
      oversize: () => { throw new Error('oversize line from the proxy'); },
    }, 512 << 20);
    proxy.stdout!.on('data', (c: Buffer) => splitter.push(c));
    await waitFor(() => state !== null, 20_000, 'the hello');
    expect(framings).toEqual(['batch']);
    proxy.stdin!.write(JSON.stringify({ id: 7, op: 'framing', framing: 'morse' }) + '\n');
    proxy.stdin!.write(JSON.stringify({ id: 8, op: 'framing', framing: 'batch' }) + '\n');
    await waitFor(() => replies.length === 2, 10_000, 'both framing replies');
    expect(replies).toEqual([{ t: 'reply', id: -1, ok: false, reason: 'unknown framing morse' }, { t: 'reply', id: 8, ok: true }]);
    const feed = connect(d.paths.control);
    await new Promise((r) => feed.once('connect', r));
    feed.write(JSON.stringify({ op: 'feed', command: 'batches', pid: null }) + '\n');
    const start = { action: 'start', id: 1, level: 3, type: 105, text: "building '/nix/store/00000000000000000000000000000000-batch.drv'", parent: 0,
      fields: ['/nix/store/00000000000000000000000000000000-batch.drv', '', 1, 1] };
    feed.write(JSON.stringify({ line: `@nix ${JSON.stringify(start)}` }) + '\n');
    for (let i = 0; i < 2000; i++) {
      feed.write(JSON.stringify({ line: `@nix ${JSON.stringify({ action: 'result', id: 1, type: 101, fields: [`line ${i}`] })}` }) + '\n');
      if (i % 200 === 0) await sleep(5);
    }
    feed.end(JSON.stringify({ exit: 0 }) + '\n');
    await waitFor(async () => {
      const theirs = (await hello(d.paths.control)).state;
      return state !== null && [...theirs.jobs.values()].some((j) => j.status !== 'running') && JSON.stringify(toSnapshot(state)) === JSON.stringify(toSnapshot(theirs));
    }, 60_000, 'the same state as the daemon, through batches');
    // Every event after the switch (its reply) came in batches, several per line.
    expect(kinds.E).toBe(0);
    expect(kinds.B).toBeGreaterThan(0);
    expect(kinds.events / kinds.B).toBeGreaterThan(1);
    proxy.stdin!.end();
    expect(await new Promise((r) => proxy.once('exit', r))).toBe(0);
  });
});
