// jlp: does a loaded nix-btm daemon hold up real Nix 2.30.5 writing to json-log-path? A real build through
// `nix-daemon --daemon` streams ~20,000 log lines while the daemon holds a 20,000-derivation state, 10 UIs keep
// attaching (each a full snapshot) and another connection floods it. Figures:
// - writeBlockP99Ms / writeBlockMaxMs: time Nix's worker spent in each write() of a JSON record (strace -T),
//   against the same build on the same daemon unloaded (writeBlockP99MsUnloaded) in the same run;
// - wallTimeRatio: median wall time of the build with json-log-path set over the same build with it unset, the
//   daemon under the same load both times (the cost Nix pays for being watched).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hello } from '../src/client/daemon-client.js';
import { pathsIn } from '../src/protocol/paths.js';
import { packageRoot } from '../src/addon/package-root.js';
import type { Benchmark } from './index.js';
import { BENCH_EXPR, NIX_NEW_BIN, lock, requireTools, startNixNew, type NixNew } from './nix-new.js';
import { median, percentile, round } from './stats.js';

const DERIVATIONS = 20_000;
const UIS = 10;
const PAIRS = 5;
/** A build as builds are: 2,000 lines among ~2 s of CPU work. */
const TYPICAL = { lines: 2_000, work: 400 };
/** The worst case: 20,000 lines as fast as the shell prints them. */
const LOG_HEAVY = { lines: 20_000, work: 0 };
type Shape = { readonly lines: number; readonly work: number };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startBtm(root: string, dir: string): Promise<ChildProcess> {
  // Its own history in the temp dir, never the machine's /var/lib/nix-btm.
  const child = spawn(process.execPath, [join(root, 'bin/nix-btm'), 'daemon', '--runtime-dir', dir, '--history', join(dir, 'history.sqlite'), '--no-import-nom'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    try { if ((await hello(pathsIn(dir).control, 1000)).daemon.pid === child.pid) return child; } catch { /* not yet */ }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error('the nix-btm daemon did not answer in 10 s');
}

/** 20,000 finished derivations through one log connection, then waits until the daemon's state holds them. */
async function fillState(dir: string): Promise<void> {
  const s: Socket = await new Promise((resolve, reject) => { const c = connect(pathsIn(dir).nixLog); c.once('connect', () => resolve(c)); c.once('error', reject); });
  const lines: string[] = [];
  for (let i = 1; i <= DERIVATIONS; i++) {
    const hash = i.toString(32).padStart(32, '0');
    lines.push(`{"action":"start","id":${i},"level":3,"parent":0,"text":"building","type":105,"fields":["/nix-new/store/${hash}-load-${i}.drv","",1,1]}`, `{"action":"stop","id":${i}}`);
  }
  await new Promise<void>((r) => s.end(lines.join('\n') + '\n', () => r()));
  for (let i = 0; i < 600; i++) {
    if ((await hello(pathsIn(dir).control, 120_000)).state.derivations.size >= DERIVATIONS) return;
    await sleep(100);
  }
  throw new Error('the daemon did not take the 20,000 derivations');
}

let nonceCounter = 0;
const nonce = (): string => `${Date.now().toString(36)}-${process.pid}-${++nonceCounter}`;

/** One nix-build through the daemon; resolves with its wall time in ms. */
function timedBuild(nix: NixNew, expr: string, shape: Shape): Promise<number> {
  const t0 = process.hrtime.bigint();
  const child = spawn(`${NIX_NEW_BIN}/nix-build`, [expr, '--argstr', 'nonce', nonce(), '--argstr', 'lines', String(shape.lines),
    '--argstr', 'work', String(shape.work), '--no-out-link'],
    { env: { ...process.env, NIX_CONF_DIR: nix.confDir, NIX_REMOTE: 'daemon' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => { err = (err + c).slice(-2000); });
  return new Promise((resolve, reject) => child.once('close', (code) => {
    if (code !== 0) reject(new Error(`nix-build exited ${code}: ${err}`));
    else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
  }));
}

/** Durations (ms) of every write of a JSON record by the daemon's workers during one build, from strace -T. */
async function stracedBuild(nix: NixNew, expr: string, out: string): Promise<number[]> {
  const st = spawn('strace', ['-f', '-T', '-e', 'trace=write,writev', '-o', out, '-p', String(nix.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve) => st.stderr.setEncoding('utf8').on('data', (c: string) => { if (c.includes('attached')) resolve(); }));
  await timedBuild(nix, expr, LOG_HEAVY);
  st.kill('SIGINT');
  await new Promise((r) => st.once('close', r));
  const durations: number[] = [];
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    if (!line.includes('"{\\"action\\"')) continue;
    const m = /<(\d+\.\d+)>$/.exec(line);
    if (m) durations.push(Number(m[1]) * 1000);
  }
  return durations;
}

/** Builds alternately with json-log-path unset and set to `sock`; medians of each. */
async function pairs(nixRef: { nix: NixNew }, expr: string, sock: string, shape: Shape): Promise<{ on: number; off: number }> {
  const on: number[] = [];
  const off: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    await nixRef.nix.stop();
    nixRef.nix = await startNixNew(null);
    off.push(await timedBuild(nixRef.nix, expr, shape));
    await nixRef.nix.stop();
    nixRef.nix = await startNixNew(sock);
    on.push(await timedBuild(nixRef.nix, expr, shape));
  }
  return { on: median(on), off: median(off) };
}

/** A listener that reads and drops everything: what json-log-path costs Nix itself, whoever listens. */
function nullSink(path: string): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((c) => { c.on('data', () => undefined); c.on('error', () => undefined); });
    server.listen(path, () => { chmodSync(path, 0o666); resolve(server); });
  });
}

/** UIs attaching in one process, a flood in another (see jlp-load.ts); stop() reports both. */
function startLoad(root: string, dir: string): { stop(): Promise<string> } {
  const one = (uis: number, rate: number): { stop(): Promise<string> } => {
    const child = spawn(process.execPath, [join(root, 'dist/bench/jlp-load.js'), dir, String(uis), String(rate)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
    return { stop: () => new Promise((resolve) => { child.once('close', () => resolve(out.trim())); child.kill('SIGTERM'); }) };
  };
  const uis = one(UIS, -1);
  const flood = one(0, 0);
  return { stop: async () => `UIs: ${await uis.stop()}; flood: ${await flood.stop()}` };
}

async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  requireTools();
  const root = packageRoot();
  const release = await lock();
  const dir = mkdtempSync(join(tmpdir(), 'nix-btm-jlp-'));
  chmodSync(dir, 0o755);
  const expr = join(dir, 'bench.nix');
  writeFileSync(expr, BENCH_EXPR, { mode: 0o644 });
  const sock = pathsIn(dir).nixLog;
  const btm = await startBtm(root, dir);
  const ref: { nix: NixNew } = { nix: await startNixNew(sock) };
  try {
    await timedBuild(ref.nix, expr, TYPICAL); // warm-up: evaluator, store, build users
    const unloaded = await stracedBuild(ref.nix, expr, join(dir, 'strace-unloaded.txt'));
    // Nix's own cost of json-log-path, with a listener that does nothing but read (no daemon load).
    const sinkPath = join(dir, 'null-sink.sock');
    const sink = await nullSink(sinkPath);
    const nullHeavy = await pairs(ref, expr, sinkPath, LOG_HEAVY);
    sink.close();
    await fillState(dir);
    const load = startLoad(root, dir);
    await sleep(1000);
    const loaded = await stracedBuild(ref.nix, expr, join(dir, 'strace-loaded.txt'));
    const typical = await pairs(ref, expr, sock, TYPICAL);
    const heavy = await pairs(ref, expr, sock, LOG_HEAVY);
    const loadReport = await load.stop();
    const figures = {
      writeBlockP99Ms: round(percentile(loaded, 99), 3), writeBlockMaxMs: round(Math.max(...loaded), 3), writes: loaded.length,
      writeBlockP99MsUnloaded: round(percentile(unloaded, 99), 3), writeBlockMaxMsUnloaded: round(Math.max(...unloaded), 3),
      wallTimeRatio: round(typical.on / typical.off, 3), wallMsJsonLogPath: round(typical.on, 1), wallMsNoJsonLogPath: round(typical.off, 1),
      wallTimeRatioLogHeavy: round(heavy.on / heavy.off, 3),
      wallTimeRatioLogHeavyNullSink: round(nullHeavy.on / nullHeavy.off, 3),
      derivations: DERIVATIONS, uis: UIS, load: loadReport,
      // UIs attaching (a 20,000-derivation snapshot each) while the flood runs: they must not starve.
      uiHellos: Number(/hellos (\d+)/.exec(loadReport)?.[1] ?? 0), uiHelloP99Ms: Number(/p99 (\d+) ms/.exec(loadReport)?.[1] ?? NaN),
    };
    log(`Nix worker write() of a JSON record under load: p99 ${figures.writeBlockP99Ms} ms, max ${figures.writeBlockMaxMs} ms over ${loaded.length} writes (unloaded p99 ${figures.writeBlockP99MsUnloaded} ms, max ${figures.writeBlockMaxMsUnloaded} ms)`);
    log(`build (${TYPICAL.lines} lines among CPU work) wall time, daemon loaded: ${figures.wallMsJsonLogPath} ms with json-log-path, ${figures.wallMsNoJsonLogPath} ms without: ratio ${figures.wallTimeRatio}`);
    log(`log-heavy build (${LOG_HEAVY.lines} lines, no work): ratio ${figures.wallTimeRatioLogHeavy} loaded; ${figures.wallTimeRatioLogHeavyNullSink} with a listener that only reads (Nix's own cost) (${loadReport})`);
    return figures;
  } finally {
    await ref.nix.stop();
    btm.kill('SIGTERM');
    await new Promise((r) => btm.once('close', r));
    rmSync(dir, { recursive: true, force: true });
    await release();
  }
}

export const benchmark: Benchmark = { name: 'jlp', run };
