// Child process, run under a low `ulimit -u`: starts waits on one ring until the kernel refuses a thread, then
// reports the error it got (it must be a JS error, not an abort) and closes everything. Out: { started, error, code }.
import { openRing, type RingReader } from '../../../src/ring/ring.js';

type Options = { readonly path: string; readonly max: number };

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const readers: RingReader[] = [];
let error: string | null = null;
let code: unknown = null;
try {
  for (let i = 0; i < o.max; i++) {
    const r = openRing(o.path);
    readers.push(r);
    r.onReadable(() => undefined);
  }
} catch (err) {
  error = String(err);
  code = (err as { code?: unknown }).code;
}
const started = readers.length - (error === null ? 0 : 1);
for (const r of readers) r.close();
process.stdout.write(`${JSON.stringify({ started, error, code })}\n`);
