// Forged derivations from a real unprivileged user: every Build start naming a derivation nobody knew adds one to the
// root daemon's state, and a running job's are never evicted. 45 MB of them (300,000) made a 1.2 GB daemon that
// answered no hello for over half a minute. The open sources of one non-root uid may add --user-derivations (here
// 2,000; 200,000 by default): past it that source publishes nothing more and is closed, said in daemon.log; another
// user's build goes on, and the attacker's next connection starts from what its open sources hold. (Transfers and
// open activities count alike: CopyPath starts or unstopped activities would cost as much.)
import { chmodSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ATTACKER, GROUP, HONEST, cleanPeers, ensureUsers, peerAs, uidOf, type Peer } from './atk8-helpers.js';
import { alive, jsonLogLines, sleep, startDaemon, statusNow, stopAll, waitForStatus, within } from './daemon-helpers.js';

const SUCCESS = 'log-daemon-root-graph-success';
const LIMIT = 2000;

beforeAll(() => ensureUsers());
const peers: Peer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.kill();
  await stopAll();
});
afterAll(() => cleanPeers());

/** `count` Build starts (each stopped) of derivations that exist nowhere, ids from `first`: one entry each. */
const forged = (first: number, count: number): string[] => Array.from({ length: count }, (_, k) => {
  const i = first + k;
  const drv = `/nix/store/${String(i).padStart(32, '0')}-btm-atk8-forged-${i}.drv`;
  return [JSON.stringify({ action: 'start', id: i, level: 3, type: 105, text: `building '${drv}'`, parent: 0, fields: [drv, '', 1, 1] }),
    JSON.stringify({ action: 'stop', id: i })].join('\n');
});

const isForged = (name: string): boolean => name.startsWith('btm-atk8-forged-');

describe('a flood of forged derivations from one user', () => {
  it('stops at that user’s allowance, on the log socket and on a feed; the daemon answers; another user’s build is whole', async () => {
    const d = await startDaemon({ group: GROUP, extra: ['--user-derivations', String(LIMIT)] });
    // Two connections at once, each far past the allowance alone; both stay open unless the daemon closes them.
    const onLog = peerAs(ATTACKER, { mode: 'chunks', path: d.paths.nixLog, chunks: [forged(1, 3000).join('\n') + '\n'], holdMs: 120_000 });
    const feed = [{ op: 'feed', command: 'btm-atk8 forged', pid: null }, ...forged(10_001, 3000).map((line) => ({ line }))];
    const onFeed = peerAs(ATTACKER, { mode: 'chunks', path: d.paths.control, chunks: [feed.map((m) => JSON.stringify(m)).join('\n') + '\n'], holdMs: 120_000 });
    peers.push(onLog, onFeed);
    const attacker = uidOf(ATTACKER);
    const doc = await waitForStatus(d.dir, (s) => s.sources.filter((x) => x.uid === attacker && x.status !== 'running').length >= 1 &&
      s.derivations.length >= LIMIT, 30_000, 'the attacker’s source closed', true);
    // One event past the allowance at most per open source: a source that crossed it publishes nothing more. A
    // source closed gives its share back (its job is closed, its derivations evicted as any closed job's, within
    // the state's bounds): if one source crossed before the other had started, the other may then add its own.
    expect(doc.derivations.filter((x) => isForged(x.name)).length).toBeLessThanOrEqual(2 * LIMIT + 2);
    expect(doc.derivations.filter((x) => isForged(x.name)).length).toBeGreaterThanOrEqual(LIMIT);
    const log = readFileSync(d.paths.logFile, 'utf8');
    const said = new RegExp(`(?:source|feed) \\S+ closed: the open sources of uid ${attacker} hold (\\d+) derivations, transfers and activities \\(limit ${LIMIT}\\)`).exec(log);
    expect(said, log.slice(-2000)).not.toBeNull();
    expect(Number(said![1])).toBeGreaterThan(LIMIT);
    expect(Number(said![1])).toBeLessThanOrEqual(LIMIT + 2);
    // Another user is not charged for it.
    const honest = peerAs(HONEST, { mode: 'honest', path: d.paths.nixLog, lines: jsonLogLines(SUCCESS), piece: 65_536 });
    peers.push(honest);
    await honest.done;
    const after = await waitForStatus(d.dir, (s) => s.jobs.some((j) => j.uid === uidOf(HONEST) && j.status !== 'running'), 30_000, 'the honest job', true);
    expect(after.jobs.find((j) => j.uid === uidOf(HONEST))?.status).toBe('succeeded');
    // Once the attacker's sources are gone, what they added no longer counts: a new connection may add again.
    onLog.kill();
    onFeed.kill();
    await waitForStatus(d.dir, (s) => s.sources.filter((x) => x.uid === attacker).every((x) => x.status !== 'running'), 30_000, 'the attacker’s sources closed', true);
    await peerAs(ATTACKER, { mode: 'chunks', path: d.paths.nixLog, chunks: [forged(20_001, 10).join('\n') + '\n'] }).done;
    const last = await waitForStatus(d.dir, (s) => s.derivations.filter((x) => isForged(x.name) && Number(x.name.slice(16)) > 20_000).length === 10, 30_000, 'ten more', true);
    expect(last.daemon.pid).toBe(d.pid);
    expect(alive(d.pid)).toBe(true);
    expect((await statusNow(d.dir)).sources.length).toBe(4);
  });
});

describe('more forged derivations than the collectors’ memory of .drv reads (50,000)', () => {
  it('each missing .drv is tried once, not again at every tick, and logged in at most eleven lines a tick, not one per path', async () => {
    const d = await startDaemon({ extra: ['--user-derivations', '60000'] });
    chmodSync(d.dir, 0o755);
    const count = 51_000; // just past the 50,000 the collectors remember
    const onLog = peerAs(ATTACKER, { mode: 'chunks', path: d.paths.nixLog, chunks: [forged(1, count).join('\n') + '\n'], holdMs: 120_000 });
    peers.push(onLog);
    // `cannot read <path>: <why>` for the first ten of a tick, `cannot read N more .drv files, the first <path>: <why>`.
    const lines = (): RegExpMatchArray[] => [...d.stderr().matchAll(/cannot read (?:(\d+) more \.drv files, the first )?(\S+btm-atk8-forged-\d+\.drv):/g)];
    const tried = (): number => lines().reduce((n, m) => n + (m[1] === undefined ? 1 : Number(m[1])), 0);
    await within((async () => { while (tried() < count) await sleep(100); })(), 60_000, 'every forged .drv tried');
    // Eight more ticks (--refresh 250): the old collectors forgot all 50,000+ and asked again each time.
    await sleep(2000);
    expect(tried()).toBe(count);
    // At most eleven lines a tick, where there was one per path.
    expect(lines().length).toBeLessThan(500);
    expect((await statusNow(d.dir)).daemon.pid).toBe(d.pid);
  });
});
