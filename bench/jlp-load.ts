// Child process of the jlp benchmark: loads a nix-btm daemon the way a busy machine does, until SIGTERM.
// argv: runtimeDir uis floodBytesPerSecond (0 = as fast as the daemon takes it, -1 = no flood). Prints
// "hellos N p50 X ms p99 Y ms flood B" on exit. The bench runs the UIs and the flood in two processes: a flood
// whose writes complete at once never yields to the event loop, and would starve UIs sharing its process.
import { connect, type Socket } from 'node:net';
import { hello } from '../src/client/daemon-client.js';
import { pathsIn } from '../src/protocol/paths.js';

const [dir = '', uisArg = '10', rateArg = '0'] = process.argv.slice(2);
const paths = pathsIn(dir);
let running = true;
let hellos = 0;
const latencies: number[] = [];
let floodBytes = 0;

/** A UI attaching over and over: hello = the whole snapshot of the daemon's state, decoded. */
async function ui(): Promise<void> {
  while (running) {
    const t0 = performance.now();
    try { await hello(paths.control, 30_000); hellos++; latencies.push(performance.now() - t0); } catch { /* daemon busy or gone */ }
  }
}

async function flood(rate: number): Promise<void> {
  const s: Socket = await new Promise((resolve, reject) => { const c = connect(paths.nixLog); c.once('connect', () => resolve(c)); c.once('error', reject); });
  s.on('error', () => undefined);
  s.write('{"action":"start","id":9,"level":3,"parent":0,"text":"flood","type":105,"fields":["/nix-new/store/00000000000000000000000000000000-jlp-flood.drv","",1,1]}\n');
  const block = Buffer.from(`{"action":"result","fields":["${'f'.repeat(90)}"],"id":9,"type":101}\n`.repeat(500));
  const started = Date.now();
  while (running) {
    floodBytes += block.length;
    if (!s.write(block)) await new Promise((r) => s.once('drain', r));
    // 'drain' of a write the kernel took at once comes on the next tick: give the event loop its turn.
    await new Promise((r) => setImmediate(r));
    if (rate > 0) {
      const ahead = floodBytes / rate * 1000 - (Date.now() - started);
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    }
  }
  s.destroy();
}

process.once('SIGTERM', () => { running = false; });
const uis = Array.from({ length: Number(uisArg) }, () => ui());
const rate = Number(rateArg);
await Promise.all([...uis, ...(rate >= 0 ? [flood(rate)] : [])]);
latencies.sort((a, b) => a - b);
const at = (q: number): string => (latencies.length ? (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number).toFixed(0) : '-');
process.stdout.write(`hellos ${hellos} p50 ${at(0.5)} ms p99 ${at(0.99)} ms flood ${floodBytes}\n`);
