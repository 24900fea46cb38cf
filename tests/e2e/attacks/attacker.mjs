// The attacking client of tests/e2e/daemon-input*.test.ts, run as an unprivileged user (plain Node, no imports
// from the checkout: it is copied to a directory that user can read). One JSON plan file as argv[2]; prints one
// JSON report on stdout.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function open(path) {
  return new Promise((resolve) => {
    const s = connect(path);
    const c = { socket: s, replies: '', closed: false, connected: false };
    s.on('data', (d) => { if (c.replies.length < 1 << 20) c.replies += d; });
    s.on('close', () => { c.closed = true; resolve(c); });
    s.on('error', () => undefined);
    s.on('connect', () => { c.connected = true; resolve(c); });
  });
}

const writeAll = (s, data) => new Promise((resolve) => {
  if (s.destroyed) return resolve(false);
  s.write(data, (err) => resolve(!err));
});

/** Lines written in order on one connection (`base64`: chunks of bytes, base64-encoded); the replies read for `readMs`. */
async function lines() {
  const c = await open(plan.path);
  for (const chunk of plan.chunks) {
    await writeAll(c.socket, plan.base64 ? Buffer.from(chunk, 'base64') : chunk);
    if (plan.gapMs) await sleep(plan.gapMs);
  }
  await sleep(plan.readMs ?? 500);
  c.socket.destroy();
  return { replies: c.replies.split('\n').filter((l) => l !== '') };
}

/** `count` connections at once; each writes `first` once and `each` (a string, `repeat` times, not reading replies); held `holdMs`. */
async function hold() {
  const conns = [];
  for (let i = 0; i < plan.count; i++) {
    conns.push(open(plan.path));
    if (i % 200 === 199) await Promise.all(conns.slice(-200));
  }
  const all = await Promise.all(conns);
  const connected = all.filter((c) => c.connected).length;
  if (plan.each) {
    await Promise.all(all.filter((c) => c.connected).map(async (c) => {
      c.socket.pause(); // never read a reply
      // `first` once (e.g. a feed request), then `firstWaitMs` for the daemon to take it.
      if (plan.first) { await writeAll(c.socket, plan.first); await sleep(plan.firstWaitMs ?? 0); }
      for (let i = 0; i < (plan.repeat ?? 1) && !c.closed; i++) {
        if (!(await Promise.race([writeAll(c.socket, plan.each), sleep(plan.writeWaitMs ?? 2000).then(() => 'stuck')]))) break;
      }
    }));
  }
  process.stdout.write(JSON.stringify({ phase: 'holding' }) + '\n');
  await sleep(plan.holdMs ?? 1000);
  const open_ = all.filter((c) => c.connected && !c.closed).length;
  for (const c of all) c.socket.destroy();
  return { attempted: plan.count, connected, stillOpen: open_ };
}

/** The protocol fuzzer's plan: connections of chunks, some cut short. */
async function fuzz() {
  let done = 0;
  const lanes = Array.from({ length: plan.lanes ?? 4 }, (_, lane) => (async () => {
    for (let k = lane; k < plan.connections.length; k += plan.lanes ?? 4) {
      const conn = plan.connections[k];
      const c = await open(plan.path);
      for (const chunk of conn.chunks) if (!(await writeAll(c.socket, chunk))) break;
      await sleep(conn.waitMs ?? 0);
      if (conn.halfClose) c.socket.end(); else c.socket.destroy();
      done++;
    }
  })());
  await Promise.all(lanes);
  return { connections: done };
}

const report = await ({ lines, hold, fuzz })[plan.mode]();
// stdout is a pipe: exit only once the report is written.
process.stdout.write(JSON.stringify({ phase: 'done', ...report }) + '\n', () => process.exit(0));
