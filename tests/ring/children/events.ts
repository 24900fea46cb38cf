// Child process: a reader of a daemon's ring (read-only, like every reader), woken through the futex. Reads from the
// live edge until `count` records arrived, then reports their kinds and whether each payload decoded as JSON.
// Out: { ready, start }, { result: { count, kinds, undecodable } }.
import { openRing } from '../../../src/ring/ring.js';

type Options = { readonly path: string; readonly count: number };

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const send = (m: unknown): void => {
  if (process.connected) process.send?.(m);
};
const reader = openRing(o.path);
let next = reader.nextSeq;
const kinds: string[] = [];
let undecodable = 0;

function drain(): void {
  for (let r = reader.read(next); r.records.length > 0 && kinds.length + undecodable < o.count; r = reader.read(next)) {
    for (const rec of r.records.slice(0, o.count - kinds.length - undecodable)) {
      try {
        kinds.push(String((JSON.parse(Buffer.from(rec.payload).toString('utf8')) as { kind?: unknown }).kind));
      } catch {
        undecodable++;
      }
    }
    next = r.nextSeq;
  }
  if (kinds.length + undecodable < o.count) return;
  reader.close();
  send({ result: { count: kinds.length, kinds, undecodable } });
  process.disconnect?.();
}

send({ ready: true, start: next });
reader.ref().onReadable(drain);
