// The peers of tests/e2e/atk8-*.test.ts, run as unprivileged users (plain Node, no imports from the checkout: it is
// copied to a directory every user can read). argv[2]: a JSON plan; prints JSON lines on stdout, the last {"phase":"done"}.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (m) => process.stdout.write(JSON.stringify(m) + '\n');
const bytesOf = (c) => (typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.b64, 'base64'));

/** A connection whose replies are read and dropped (a paused socket would never see the daemon close it). */
function open(path) {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.resume();
    s.once('close', () => { s.closedNow = true; });
    s.once('connect', () => { s.off('error', reject); s.on('error', () => undefined); resolve(s); });
    s.once('error', reject);
  });
}

/** Ends our side and waits for the socket to close (the peer may have closed it already). */
const ended = (s) => new Promise((r) => { if (s.closedNow) return r(); s.once('close', r); s.end(); });

const writeAll = (s, data) => new Promise((resolve) => {
  if (s.destroyed) return resolve(false);
  s.write(data, (err) => resolve(!err));
});

/** Chunks in order on one connection (strings, or {b64} for raw bytes), held open `holdMs`, then end (or destroy, `cut`). */
async function chunks() {
  const s = await open(plan.path);
  for (const c of plan.chunks) { await writeAll(s, bytesOf(c)); if (plan.gapMs) await sleep(plan.gapMs); }
  say({ phase: 'written' });
  await sleep(plan.holdMs ?? 0);
  if (plan.cut) s.destroy(); else await ended(s);
  return {};
}

/**
 * `conns` connections at once, each sending its own lines (`lines[i]`) cut into pieces of `piece[i % piece.length]`
 * bytes, the connections' pieces interleaved round-robin (every write completes before the next round). Then each
 * connection ends as `endings[i % endings.length]` says: "end" (closed cleanly), "cut" (destroyed after a partial
 * line, `tails[i]`), "half" (its write side shut after `tail`, the socket kept until the plan's end), "hold" (left open,
 * silent, after `tail`, until the plan's end).
 */
async function interleave() {
  const sockets = [];
  for (let i = 0; i < plan.lines.length; i++) sockets.push(await open(plan.path));
  const data = plan.lines.map((ls) => Buffer.from(ls.map((l) => l + '\n').join('')));
  const at = data.map(() => 0);
  let written = 0;
  for (let round = 0; at.some((p, i) => p < data[i].length); round++) {
    await Promise.all(sockets.map(async (s, i) => {
      if (at[i] >= data[i].length) return;
      const n = plan.piece[i % plan.piece.length];
      const part = data[i].subarray(at[i], at[i] + n);
      at[i] += part.length;
      written += part.length;
      await writeAll(s, part);
    }));
    if (plan.gapMs && round % 16 === 15) await sleep(plan.gapMs);
  }
  say({ phase: 'written', written });
  const held = [];
  await Promise.all(sockets.map(async (s, i) => {
    const ending = plan.endings[i % plan.endings.length];
    if (ending !== 'end') await writeAll(s, Buffer.from(plan.tails?.[i] ?? ''));
    if (ending === 'end') await ended(s);
    else if (ending === 'cut') s.destroy();
    else if (ending === 'half') { s.end(); held.push(s); } else held.push(s);
  }));
  say({ phase: 'ended' });
  await sleep(plan.holdMs ?? 0);
  for (const s of held) s.destroy();
  return { written };
}

/**
 * An honest Nix-like writer: `lines` written in pieces of `piece` bytes, every write awaited; reports how many
 * writes completed and the longest wait for one (a hang guard for the test, never a threshold).
 */
async function honest() {
  const s = await open(plan.path);
  const data = Buffer.from(plan.lines.map((l) => l + '\n').join(''));
  let writes = 0;
  let longestMs = 0;
  for (let p = 0; p < data.length; p += plan.piece) {
    const t = Date.now();
    if (!(await writeAll(s, data.subarray(p, p + plan.piece)))) break;
    longestMs = Math.max(longestMs, Date.now() - t);
    writes++;
    if (plan.gapMs) await sleep(plan.gapMs);
  }
  await ended(s);
  return { writes, longestMs, bytes: data.length };
}

/**
 * `conns` connections each writing `line` (newline added) over and over, `perWrite` lines a write, for `ms`:
 * as fast as the daemon reads. Says {"phase":"flooding"} once every connection has written its first write.
 */
async function flood() {
  const sockets = [];
  for (let i = 0; i < plan.conns; i++) sockets.push(await open(plan.path));
  const chunk = Buffer.from((plan.line + '\n').repeat(plan.perWrite));
  const until = Date.now() + plan.ms;
  let started = 0;
  const bytes = await Promise.all(sockets.map(async (s) => {
    let n = 0;
    for (let first = true; Date.now() < until; first = false) {
      if (!(await writeAll(s, chunk))) break;
      n += chunk.length;
      if (first && ++started === sockets.length) say({ phase: 'flooding' });
    }
    return n;
  }));
  for (const s of sockets) s.destroy();
  return { bytes: bytes.reduce((a, b) => a + b, 0) };
}

/** Control-socket requests, one reply awaited each (`replies` lines in all), then `holdMs`. */
async function control() {
  const s = await open(plan.path);
  let buf = '';
  const replies = [];
  s.setEncoding('utf8');
  const all = new Promise((resolve) => {
    s.on('data', (c) => {
      buf += c;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        replies.push(buf.slice(0, nl).slice(0, 4000));
        buf = buf.slice(nl + 1);
        if (replies.length >= plan.replies) resolve();
      }
    });
    s.on('close', resolve);
  });
  for (const c of plan.chunks) await writeAll(s, bytesOf(c));
  await Promise.race([all, sleep(plan.waitMs ?? 10_000)]);
  await sleep(plan.holdMs ?? 0);
  s.destroy();
  return { replies };
}

const report = await ({ chunks, interleave, honest, flood, control })[plan.mode]();
process.stdout.write(JSON.stringify({ phase: 'done', ...report }) + '\n', () => process.exit(0));
