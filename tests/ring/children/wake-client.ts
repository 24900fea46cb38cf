// Child process: a client of a daemon's wake FIFOs (the control request `wake`, src/daemon/wake-offers.ts), run as an
// unprivileged user by tests/e2e/wake-fifo.test.ts. Plain node: the control protocol by hand (one JSON line each way).
// mode "read": asks for a FIFO, waits on it for `count` records of the ring, reports how it waited;
// "ask": asks `times` times and reports each reply, opening none; "open": tries to open `path` (and list its
// directory, and make a file beside it) and reports the error codes; "hold": asks, opens the FIFO, never reads it;
// "read-futex": reads the ring at `ring` as "read" does, without asking: waiting on the ring's futex.
// Out: { replies }, { ready, wait, fifo }, { result }, { tried }; "hold" stays until killed.
import { closeSync, constants, openSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';

import { openRing } from '../../../src/ring/ring.js';

type Options = {
  readonly mode: 'read' | 'read-futex' | 'ask' | 'open' | 'hold';
  readonly control?: string;
  readonly count?: number;
  readonly times?: number;
  readonly path?: string;
  readonly ring?: string;
};
type Reply = { ok: boolean; op: string; path?: string; ringPath?: string; reason?: string };

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const send = (m: unknown): void => {
  if (process.connected) process.send?.(m);
};

function ask(control: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const s = connect(control);
    let buf = '';
    s.setEncoding('utf8');
    s.once('connect', () => s.write('{"op":"wake"}\n'));
    s.on('data', (c: string) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      s.destroy();
      resolve(JSON.parse(buf.slice(0, nl)) as Reply);
    });
    s.once('error', reject);
  });
}

const codeOf = (f: () => void): string => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'error';
  }
};

async function main(): Promise<void> {
  if (o.mode === 'open') {
    const path = o.path ?? '';
    send({ tried: {
      open: codeOf(() => closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK))),
      list: codeOf(() => readdirSync(dirname(path))),
      createBeside: codeOf(() => writeFileSync(join(dirname(path), 'mine'), '')),
    } });
    return;
  }
  const control = o.control ?? '';
  if (o.mode === 'ask') {
    const replies: Reply[] = [];
    for (let i = 0; i < (o.times ?? 1); i++) replies.push(await ask(control));
    send({ replies });
    return;
  }
  if (o.mode === 'read-futex') return readRecords(openRing(o.ring ?? ''), null);
  const reply = await ask(control);
  if (!reply.ok || !reply.path || !reply.ringPath) throw new Error(`wake refused: ${JSON.stringify(reply)}`);
  // Before opening it: once opened, the daemon adopts it and unlinks the path.
  const st = statSync(reply.path);
  const fifo = { uid: st.uid, mode: st.mode & 0o777, isFifo: st.isFIFO() };
  if (o.mode === 'hold') {
    openSync(reply.path, constants.O_RDONLY | constants.O_NONBLOCK); // kept open, never read
    send({ ready: true, fifo });
    setInterval(() => undefined, 1 << 30);
    return;
  }
  readRecords(openRing(reply.ringPath).wakeBy(reply.path), { uid: fifo.uid, mode: fifo.mode, isFifo: fifo.isFifo, path: reply.path });
}

function readRecords(reader: ReturnType<typeof openRing>, fifo: { uid: number; mode: number; isFifo: boolean; path: string } | null): void {
  let seq = reader.nextSeq;
  let records = 0;
  reader.ref().onReadable(() => {
    for (let b = reader.readBlock(seq); b.count > 0 || b.lost; b = reader.readBlock(seq)) {
      records += b.count;
      seq = b.nextSeq;
    }
    if (records < (o.count ?? 1)) return;
    send({ result: { records, wait: reader.stats().wait, fifoWakes: reader.stats().fifoWakes } });
    reader.close();
    process.disconnect?.();
  });
  send({ ready: true, wait: reader.stats().wait, ...(fifo ? { fifo: { uid: fifo.uid, mode: fifo.mode, isFifo: fifo.isFifo }, path: fifo.path } : {}) });
}


main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
