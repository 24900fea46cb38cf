// Child process: starts a wait on a ring, then ends in the way `mode` says; the parent checks how it exits.
// "natural": unref'd wait, nothing else to do -> exits 0 by itself.
// "ref": ref'd wait keeps it alive until a record arrives, then closes and exits 0 (3 if the record is wrong).
// "exit": process.exit(7) while a ref'd wait is blocked in the futex. "throw": uncaught exception while waiting.
import { loadNative } from '../../../src/addon/native.js';
import { openRing } from '../../../src/ring/ring.js';

type Options = { readonly path: string; readonly mode: 'natural' | 'ref' | 'exit' | 'throw' };

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const reader = openRing(o.path);
const from = reader.nextSeq;
if (o.mode !== 'natural') reader.ref();
reader.onReadable(() => {
  const r = reader.read(from);
  if (r.records.length === 0) return;
  process.exitCode = Buffer.from(r.records[0]?.payload ?? []).toString() === 'wake up' ? 0 : 3;
  reader.close();
});
process.send?.({ waiting: true, activeWaiters: loadNative().activeWaiters() });
process.disconnect?.();
if (o.mode === 'exit') setTimeout(() => process.exit(7), 20);
if (o.mode === 'throw') {
  setTimeout(() => {
    throw new Error('boom while waiting');
  }, 20);
}
