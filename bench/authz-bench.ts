// What identity and authorization cost where they sit on a hot path, against a same-run baseline:
// - attributing a json-log-path connection from a real Nix 2.8 daemon worker (owner.ts: /proc, pidfd_getfd,
//   SO_PEERCRED) against reading the plain peer's command line, which every connection already paid;
// - a checked signal (pidfd, start time, owner) against a bare kill(pid, 0);
// - sanitize() on the clean text every UI cell carries, against fitWidth() itself.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { isDaemonWorker, readFacts } from '../src/daemon/owner.js';
import { socketSourceInfo } from '../src/daemon/peer.js';
import { readCommand } from '../src/ingest/proc-read.js';
import { liveFacts, signalAuthorized } from '../src/daemon/signals.js';
import { processStartedAt } from '../src/ingest/proc-time.js';
import { initialState, reduce } from '../src/state/reducer.js';
import { sanitize } from '../src/state/text.js';
import { fitWidth } from '../src/ui/format.js';
import type { Benchmark } from './index.js';
import { median, round } from './stats.js';

const DAEMON_SOCKET = '/nix/var/nix/daemon-socket/socket';
const RUNS = 2000;

function perCallUs(fn: () => void, n = RUNS): number {
  const samples: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    samples.push(((performance.now() - t0) * 1000) / n);
  }
  return median(samples);
}

async function workerOfOurConnection(): Promise<{ pid: number; close: () => void } | null> {
  if (!existsSync(DAEMON_SOCKET) || process.getuid?.() !== 0) return null;
  const s = connect(DAEMON_SOCKET);
  await new Promise((r) => s.once('connect', r));
  for (let i = 0; i < 50; i++) {
    for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number)) {
      const f = readFacts(pid);
      if (f !== null && isDaemonWorker(f) && readFacts(f.ppid) !== null && pid > f.ppid) return { pid, close: () => s.destroy() };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  s.destroy();
  return null;
}

async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const worker = await workerOfOurConnection();
  if (worker) {
    const names = (): string => 'root';
    const attribute = perCallUs(() => socketSourceInfo({ pid: worker.pid, uid: 0, gid: 0 }, names), 200);
    const plain = perCallUs(() => sanitize(readCommand(worker.pid)), 200);
    worker.close();
    log(`attribute a daemon worker's connection: median ${round(attribute)} µs; plain command line: ${round(plain)} µs; ratio ${round(attribute / plain)}`);
    Object.assign(out, { attributeWorkerUs: round(attribute), plainPeerUs: round(plain), attributeRatio: round(attribute / plain) });
  } else {
    log('no Nix 2.8 daemon to attribute a worker of (needs root and /nix/var/nix/daemon-socket/socket)');
  }
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const pid = child.pid!;
  const state = reduce(initialState(), { kind: 'proc-scan', at: 1, host: null, processes: [{ pid, ppid: process.pid, pgid: pid,
    uid: 0, user: 'root', state: 'S', cpuPercent: 0, rssBytes: 0, startedAt: processStartedAt(pid)!, command: 'sleep 60',
    role: 'other', drvPath: null }] });
  const me = { pid: process.pid, uid: process.getuid?.() ?? 0, gid: 0 };
  const req = { target: 'process' as const, pid, startedAt: state.processes[0]!.startedAt, signal: 'CONT' as const };
  const live = liveFacts(() => false);
  const checked = perCallUs(() => { signalAuthorized(req, me, state, live, -1); }, 500);
  const bare = perCallUs(() => { process.kill(pid, 0); }, 500);
  child.kill('SIGKILL');
  log(`checked signal: median ${round(checked)} µs; bare kill(pid, 0): ${round(bare)} µs; ratio ${round(checked / bare)}`);
  Object.assign(out, { signalCheckedUs: round(checked), signalBareUs: round(bare), signalRatio: round(checked / bare) });
  const cell = 'nix-build /home/alice/project/default.nix -A packages.x86_64-linux.default';
  const clean = perCallUs(() => sanitize(cell), 200_000);
  const fit = perCallUs(() => fitWidth(cell, 40), 200_000);
  log(`sanitize a clean cell: median ${round(clean * 1000)} ns; fitWidth (which now includes it): ${round(fit * 1000)} ns; share ${round(clean / fit)}`);
  Object.assign(out, { sanitizeNs: round(clean * 1000), fitWidthNs: round(fit * 1000), sanitizeShareOfFit: round(clean / fit) });
  return out;
}

export const benchmark: Benchmark = { name: 'authz', run };
