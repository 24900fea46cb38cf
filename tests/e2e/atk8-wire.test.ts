// Lines an unprivileged user writes to a real root daemon, chosen so that a client's state could differ from the
// daemon's: every client decodes the ring's Nix line records (kind 2) itself and reduces them with the same reducer,
// and a late client starts from a JSON snapshot. A BuildResult (result 110) whose status is the name of an
// Object.prototype member ("constructor", "toString", "__proto__") made a derivation's status a function or an
// object: the daemon and a live client held that, a snapshot (JSON) dropped it, and `status --json` printed a
// derivation without a status. Odd text (NUL, CR, tabs, U+2028, bytes that are not UTF-8, lone surrogates through a
// feed's JSON) travels too. Each client must end with the daemon's state, every status one of the model's.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hello, subscribe, type Subscription } from '../../src/client/daemon-client.js';
import { LineSplitter } from '../../src/ingest/lines.js';
import { decodeEventArray, decodeEventText } from '../../src/protocol/events.js';
import { parseProxyMessage } from '../../src/remote/wire.js';
import type { State } from '../../src/state/model.js';
import { reduce } from '../../src/state/reducer.js';
import { fromSnapshot } from '../../src/state/snapshot.js';
import { stateReport } from '../../src/state/report.js';
import { MARK } from '../../src/state/marks.js';
import { ATTACKER, GROUP, HONEST, cleanPeers, ensureUsers, peerAs, uidOf, type Peer } from './atk8-helpers.js';
import { BIN, alive, nixBtm, startDaemon, status, stopAll, waitForStatus, within } from './daemon-helpers.js';

beforeAll(() => ensureUsers());
const subscriptions: Subscription[] = [];
const peers: Peer[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.kill();
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const s of subscriptions.splice(0)) s.close();
  await stopAll();
});
afterAll(() => cleanPeers());

const STATUSES = Object.keys(MARK);
const drv = (n: number): string => `/nix/store/${String(n).padStart(32, '0')}-btm-atk8-proto-${n}.drv`;
/** Names of Object.prototype members, as the status of a BuildResult payload (Determinate Nix's result 110). */
const PROTO_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

/** One Build activity per name, its BuildResult naming that status (success true and false), then its stop. */
function protoLines(): string[] {
  const lines = [JSON.stringify({ action: 'start', id: 1, level: 0, type: 104, text: '', parent: 0, fields: [] })];
  PROTO_NAMES.forEach((status, i) => {
    for (const success of [true, false]) {
      const id = 10 + 2 * i + (success ? 0 : 1);
      lines.push(JSON.stringify({ action: 'start', id, level: 3, type: 105, text: `building '${drv(id)}'`, parent: 1, fields: [drv(id), '', 1, 1] }));
      lines.push(JSON.stringify({ action: 'result', id, type: 110, fields: [], payload: { success, status, errorMsg: '' } }));
      lines.push(JSON.stringify({ action: 'result', id, type: 101, fields: [`log of ${status}`] }));
    }
  });
  return lines;
}

/** Text that must reach every client exactly as the daemon decoded it (or be counted by both alike). */
const ODD = [
  '{"action":"msg","level":1,"msg":"warning: nul \\u0000 and cr \\r mid-line, tab \\t, ls \\u2028 ps \\u2029"}',
  '{"action":"msg","level":1,"msg":"warning: lone surrogates \\ud800 and \\udfff, a pair \\ud83d\\ude00"}',
  'plain\ttext\twith\ttabs\u0000and a NUL',
  '{"action":"msg","level":1,"msg":"warning: ends with CR"}\r',
  `{"action":"msg","level":1,"msg":"${'x'.repeat(60_000)}"}`,
  '{"action":"result","id":18446744073709551615,"type":101,"fields":["id at 2^64-1"]}',
  '{"action":"msg","level":1e300,"msg":"a level of 1e300"}',
];

/** The attacker's lines on the log socket and on a JSON feed, both connections left open; resolves once written. */
async function attack(d: { paths: { nixLog: string; control: string } }): Promise<void> {
  const raw = Buffer.concat([Buffer.from('{"action":"msg","level":1,"msg":"warning: bad utf-8 '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}\n')]);
  const lines = [...protoLines(), ...ODD];
  // Both connections stay open: a source's end settles what it left running, which would hide a bad status.
  const onLog = peerAs(ATTACKER, { mode: 'chunks', path: d.paths.nixLog, chunks: [lines.join('\n') + '\n', { b64: raw.toString('base64') }], holdMs: 120_000 });
  // The same lines through the JSON {line} feed, where a line may hold a lone surrogate (JSON can say it, UTF-8 not).
  const feed = [{ op: 'feed', command: 'btm-atk8 feed', pid: null }, ...lines.map((line) => ({ line })), { line: '{"action":"msg","level":1,"msg":"warning: raw lone \ud800 surrogate"}' }];
  const onFeed = peerAs(ATTACKER, { mode: 'chunks', path: d.paths.control, chunks: [feed.map((m) => JSON.stringify(m)).join('\n') + '\n'], holdMs: 120_000 });
  peers.push(onLog, onFeed);
  await Promise.all([onLog.reached('written'), onFeed.reached('written')]);
}

const comparable = (state: Subscription['state']): string => JSON.stringify(stateReport(state));

describe('lines that could split a client from the daemon, from an unprivileged user', () => {
  it('BuildResult statuses named like Object.prototype members, odd text: every client holds the daemon’s state', async () => {
    const d = await startDaemon({ group: GROUP });
    const live = await subscribe(d.paths.control);
    subscriptions.push(live);
    await attack(d);
    const doc = await waitForStatus(d.dir, (s) => s.sources.length === 2 && s.derivations.length === PROTO_NAMES.length * 2 &&
      s.warnings.length === 8, 20_000, 'both sources’ derivations and warnings');
    expect(alive(d.pid)).toBe(true);
    expect(doc.sources.map((x) => [x.uid, x.status])).toEqual([[uidOf(ATTACKER), 'running'], [uidOf(ATTACKER), 'running']]);
    // Every derivation has a status of the model, in the daemon's own report (status --json is a snapshot).
    const mine = doc.derivations.filter((x) => x.name.startsWith('btm-atk8-proto-'));
    expect(mine).toHaveLength(PROTO_NAMES.length * 2);
    for (const x of mine) expect(STATUSES, `${x.name}: ${JSON.stringify(x)}`).toContain(x.status);
    // The live subscription (ring records) and a late one (snapshot) hold exactly the daemon's state.
    const late = await subscribe(d.paths.control);
    subscriptions.push(late);
    await within((async () => {
      for (;;) {
        live.poll();
        late.poll();
        const daemon = comparable((await hello(d.paths.control)).state);
        if (comparable(live.state) === daemon && comparable(late.state) === daemon) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    })(), 20_000, 'both subscriptions to match the daemon');
    for (const x of live.state.derivations.values()) expect(STATUSES).toContain(x.status);
    expect(live.invalidRecords).toBe(0);
    // The odd text arrived as the daemon decoded it: the lone surrogates of the feed too (sent as JSON, not a line).
    const texts = [...live.state.messages].map((m) => m.text);
    expect(texts.filter((t) => t.includes('lone surrogates'))).toHaveLength(2);
    expect(texts.filter((t) => t.includes('raw lone'))).toHaveLength(1);
    // Both CLIs print without dying.
    const human = nixBtm(['status', '--runtime-dir', d.dir]);
    expect(human.code, human.stderr).toBe(0);
    expect(status(d.dir).derivations.length).toBe(doc.derivations.length);
    expect(d.stderr()).not.toMatch(/TypeError|RangeError|uncaught|unhandled|threw/i);
  });
});

describe('the same lines through `nix-btm proxy`, run by another group member', () => {
  it('every line record reaches the far UI as the event the daemon holds, in both framings', async () => {
    const d = await startDaemon({ group: GROUP });
    const proxy = spawn('setpriv', [`--reuid=${HONEST}`, `--regid=${HONEST}`, '--init-groups', process.execPath, BIN, 'proxy', '--runtime-dir', d.dir],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(proxy);
    let state: State | null = null;
    const bad: string[] = [];
    let lines = 0;
    let batches = 0;
    // What the UI's end (src/remote/connection.ts) does with each line: the same checked decoders, the same reducer.
    const splitter = new LineSplitter({
      line: (text) => {
        if (text.startsWith('C ')) {
          const m = parseProxyMessage(text.slice(2));
          if ('bad' in m) bad.push(m.bad);
          else if (m.t === 'hello') state = fromSnapshot(m.snapshot);
          else if (m.t === 'down') bad.push(m.reason);
          return;
        }
        const batch = text.startsWith('B ');
        const d = batch ? decodeEventArray(text.slice(2)) : decodeEventText(text.slice(2));
        if (!d.ok) { bad.push(d.reason); return; }
        for (const e of 'events' in d ? d.events : [d.event]) if (state) state = reduce(state, e);
        if (batch) batches++; else lines++;
      },
      oversize: (_h, n) => bad.push(`a line of ${n} bytes`),
    }, 512 << 20);
    proxy.stdout!.on('data', (c: Buffer) => splitter.push(c));
    await within((async () => { while (state === null) await new Promise((r) => setTimeout(r, 50)); })(), 20_000, 'the proxy’s hello');
    // One line per event first (the odd lines), then the batch framing for the rest.
    await attack(d);
    await within((async () => { while (lines === 0) await new Promise((r) => setTimeout(r, 50)); })(), 20_000, 'events from the proxy');
    proxy.stdin!.write(JSON.stringify({ id: 1, op: 'framing', framing: 'batch' }) + '\n');
    await attack(d);
    await within((async () => {
      for (;;) {
        const theirs = comparable((await hello(d.paths.control)).state);
        if (batches > 0 && state !== null && comparable(state) === theirs) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    })(), 30_000, 'the far state to match the daemon');
    expect(bad).toEqual([]);
    expect(state!.derivations.size).toBe(PROTO_NAMES.length * 2);
    for (const x of state!.derivations.values()) expect(STATUSES).toContain(x.status);
    expect([...state!.messages].filter((m) => m.text.includes('lone surrogates'))).toHaveLength(4);
  });
});
