// Child process: a reader of a daemon's ring (read-only, like every reader), woken through the futex. Reads from the
// live edge until `count` records arrived, then reports their kinds and whether each payload decoded: a JSON event
// (record kind 1), or a Nix line record (kind 2, src/protocol/nix-line.ts: `<at>\t<source>\t<Nix's JSON line>`).
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

/** 'nix' for a well-formed Nix line record; throws otherwise. */
function nixLine(text: string): string {
  const [at, source, ...rest] = text.split('\t');
  const line = rest.join('\t');
  if (at === undefined || !Number.isFinite(Number(at)) || !source) throw new Error('not a Nix line record');
  JSON.parse(line.startsWith('@nix ') ? line.slice(5) : line);
  return 'nix';
}

function drain(): void {
  for (let r = reader.read(next); r.records.length > 0 && kinds.length + undecodable < o.count; r = reader.read(next)) {
    for (const rec of r.records.slice(0, o.count - kinds.length - undecodable)) {
      try {
        const text = Buffer.from(rec.payload).toString('utf8');
        if (rec.kind === 2) kinds.push(nixLine(text));
        else kinds.push(String((JSON.parse(text) as { kind?: unknown }).kind));
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
