// Child process, run under a low `ulimit -n`: starts waits on one ring of its own until io_uring_setup runs out of
// descriptors, so later waits fall back to the waiter thread at run time; then appends one record and reports how
// many waits of each kind were started and how many of them were woken. Out: { paths, fallback, woken, total }.
import { createRing, openRing, type RingReader } from '../../../src/ring/ring.js';

type Options = { readonly path: string; readonly count: number };

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const writer = createRing({ path: o.path, capacityBytes: 1 << 16, maxRecordBytes: 1024 });
const readers: RingReader[] = [];
const woken = new Set<number>();
const paths: Record<string, number> = {};
let fallback = '';
// All opened first: an open reader holds no descriptor (the file's is closed once mapped), a wait through io_uring
// holds one (its ring), a waiter thread none.
for (let i = 0; i < o.count; i++) readers.push(openRing(o.path));
for (const [i, r] of readers.entries()) {
  r.onReadable(() => woken.add(i));
  const s = r.stats();
  paths[s.wait] = (paths[s.wait] ?? 0) + 1;
  if (s.waitFallback !== '') fallback = s.waitFallback;
}
writer.append(1, 'wake up');
const deadline = Date.now() + 10_000;
while (woken.size < readers.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
for (const r of readers) r.close();
writer.close();
process.stdout.write(`${JSON.stringify({ paths, fallback, woken: woken.size, total: readers.length })}\n`);
