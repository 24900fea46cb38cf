// Child process of the jlp benchmark: loads a nix-btm daemon the way a busy machine does, until SIGTERM.
// argv: runtimeDir uis floodBytesPerSecond (0 = as fast as the daemon takes it). Prints "hellos N flood B" on exit.
import { connect, type Socket } from 'node:net';
import { hello } from '../src/daemon/client.js';
import { pathsIn } from '../src/daemon/paths.js';

const [dir = '', uisArg = '10', rateArg = '0'] = process.argv.slice(2);
const paths = pathsIn(dir);
let running = true;
let hellos = 0;
let floodBytes = 0;

/** A UI attaching over and over: hello = the whole snapshot of the daemon's state, decoded. */
async function ui(): Promise<void> {
  while (running) {
    try { await hello(paths.control, 30_000); hellos++; } catch { /* daemon busy or gone */ }
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
    if (rate > 0) {
      const ahead = floodBytes / rate * 1000 - (Date.now() - started);
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    }
  }
  s.destroy();
}

process.once('SIGTERM', () => { running = false; });
const uis = Array.from({ length: Number(uisArg) }, () => ui());
await Promise.all([...uis, flood(Number(rateArg))]);
process.stdout.write(`hellos ${hellos} flood ${floodBytes}\n`);
