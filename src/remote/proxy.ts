// `nix-btm proxy`: the remote end of `nix-btm --host`. Run by ssh as the ssh user, it asks the local daemon for a
// snapshot, then forwards the ring's records on stdout; requests on stdin go to the daemon's control socket from this
// process, so the daemon checks them against this user's own SO_PEERCRED. No port is opened.
import type { Readable, Writable } from 'node:stream';
import { helloWoken, openRingWoken, request, requestEnviron, sendSignal } from '../client/daemon-client.js';
import { encodeResult, RECORD_KIND_EVENT } from '../protocol/events.js';
import { decodeNixLine, RECORD_KIND_NIX_LINE } from '../protocol/nix-line.js';
import { OUR_VERSIONS } from '../protocol/version.js';
import { LineSplitter } from '../ingest/lines.js';
import type { RecordBlock, RingReader } from '../ring/ring.js';
import { BATCH_FRAMING, BEAT_MS, WIRE_VERSION, parseProxyRequest, type HistoryReply, type ProxyMessage, type ProxyRequest } from './wire.js';

/** Under the UI's own wait (connection.ts), so the UI hears why rather than a timeout. */
const HISTORY_TIMEOUT_MS = 8000;

export type ProxyOptions = {
  readonly controlPath: string;
  readonly input: Readable;
  readonly output: Writable;
  /** Longest wait between attempts to reach a daemon that is down. */
  readonly maxBackoffMs?: number;
};

const control = (m: ProxyMessage): string => `C ${JSON.stringify(m)}\n`;

/**
 * A block's events on the wire, copied into one new buffer (the block's own is reused by the next read): one line
 * `E ` + payload each, or with the batch framing the whole block as one line `B [payload,...]`. The wire carries
 * events as JSON: a record that holds a Nix line (kind RECORD_KIND_NIX_LINE) is decoded here and sent as its event.
 * Events only: a record of another kind is the daemon's business, not the wire's. Null when the block holds no
 * event; throws when a line record does not decode (the caller starts again from a snapshot).
 */
function eventLines(b: RecordBlock, batch: boolean): Buffer | null {
  const { data, metas, offsets } = b;
  let events = 0;
  let bytes = 0;
  // The events of the block's line records, as JSON text, by index (most blocks hold many).
  const texts: (string | undefined)[] = [];
  for (let i = 0; i < b.count; i++) {
    const kind = metas[2 * i];
    if (kind === RECORD_KIND_NIX_LINE) {
      const d = decodeNixLine(data, offsets[i] ?? 0, offsets[i + 1] ?? 0);
      if (!d.ok) throw new Error(`ring record ${b.firstSeq + i}: ${d.reason}`);
      const text = encodeResult(d.event) ?? JSON.stringify(d.event);
      texts[i] = text;
      bytes += Buffer.byteLength(text);
    } else if (kind === RECORD_KIND_EVENT) {
      bytes += metas[2 * i + 1] ?? 0;
    } else continue;
    events++;
  }
  if (events === 0) return null;
  // E + space + newline per event; or B + space + [ + a comma between events + ] + newline.
  const out = Buffer.allocUnsafe(batch ? bytes + events + 4 : bytes + 3 * events);
  let at = batch ? out.write('B [', 0, 'latin1') : 0;
  let first = true;
  for (let i = 0; i < b.count; i++) {
    const text = texts[i];
    if (text === undefined && metas[2 * i] !== RECORD_KIND_EVENT) continue;
    if (batch) {
      if (!first) out[at++] = 0x2c; // ,
      first = false;
    } else {
      out[at++] = 0x45; // E
      out[at++] = 0x20;
    }
    at += text === undefined ? data.copy(out, at, offsets[i], offsets[i + 1]) : out.write(text, at, 'utf8');
    if (!batch) out[at++] = 0x0a;
  }
  if (batch) { out[at++] = 0x5d; out[at++] = 0x0a; } // ]\n
  return out;
}

/** Resolves when the UI side goes away (stdin closed or stdout broken). */
export function runProxy(opts: ProxyOptions): Promise<void> {
  const { output } = opts;
  let reader: RingReader | null = null;
  let seq = 0;
  let blocked = false;
  let stopped = false;
  let backoff = 100;
  let connecting = false;
  let lastBeat = 0;
  // One line per ring read once the UI asked for it (wire.ts); one line per event until then.
  let batches = false;
  const write = (text: string | Buffer): void => {
    if (stopped) return;
    if (!output.write(text) && !blocked) {
      // Backpressure: the ring keeps what we do not read yet; a reader lapped meanwhile re-snapshots.
      blocked = true;
      output.once('drain', () => { blocked = false; pump(); });
    }
  };
  const lost = (reason: string): void => {
    reader?.close();
    reader = null;
    write(control({ t: 'down', reason }));
    schedule();
  };
  const schedule = (): void => {
    if (stopped) return;
    setTimeout(() => void connect(), backoff);
    backoff = Math.min(backoff * 2, opts.maxBackoffMs ?? 2000);
  };
  const connect = async (): Promise<void> => {
    if (stopped || connecting) return;
    connecting = true;
    try {
      // A wake FIFO beside the hello, as a local UI's (src/client/daemon-client.ts): the remote UI's latency starts here.
      const { hello: reply, wake } = await helloWoken(opts.controlPath, async () => {
        const r = await request(opts.controlPath, { op: 'hello', ...OUR_VERSIONS });
        if (!r.ok || r.op !== 'hello') throw new Error(r.ok ? `unexpected reply ${r.op}` : r.reason);
        return r;
      });
      const next = openRingWoken(reply.ringPath, wake);
      reader?.close();
      reader = next;
      seq = reply.seq;
      backoff = 100;
      write(control({ t: 'hello', version: WIRE_VERSION, seq, snapshot: reply.snapshot, daemon: reply.daemon, framings: [BATCH_FRAMING] }));
      reader.onReadable(pump);
      pump();
    } catch (err) {
      lost(`no nix-btm daemon answers on ${opts.controlPath}: ${(err as Error).message}`);
    } finally {
      connecting = false;
    }
  };
  const pump = (): void => {
    const r0 = reader;
    if (!r0 || stopped) return;
    try {
      while (!blocked && reader === r0) {
        const b = r0.readBlock(seq);
        if (b.lost) { void connect(); return; }
        if (b.count === 0) break;
        seq = b.nextSeq;
        const text = eventLines(b, batches);
        if (text) write(text);
      }
      if (!r0.writerAlive()) lost('the nix-btm daemon went away');
    } catch (err) {
      // A damaged ring or a closed reader: start again from a snapshot rather than forward anything doubtful.
      lost(`the ring could not be read: ${(err as Error).message}`);
    }
  };
  const timer = setInterval(() => {
    pump();
    const now = Date.now();
    if (now - lastBeat >= BEAT_MS) { lastBeat = now; write(control({ t: 'beat', seq })); }
  }, 500);
  const splitter = new LineSplitter({
    line: (text) => { if (text !== '') void answer(text); },
    oversize: () => write(control({ t: 'reply', id: -1, ok: false, reason: 'request over 64 KiB' })),
  }, 64 << 10);
  const answer = async (text: string): Promise<void> => {
    const req = parseProxyRequest(text);
    if ('bad' in req) { write(control({ t: 'reply', id: -1, ok: false, reason: req.bad })); return; }
    if (req.op === 'framing') { batches = true; write(control({ t: 'reply', id: req.id, ok: true })); return; }
    write(control({ t: 'reply', id: req.id, ...(await forward(opts.controlPath, req)) }));
  };
  return new Promise((resolve) => {
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      reader?.close();
      resolve();
    };
    opts.input.on('data', (chunk: Buffer) => splitter.push(chunk));
    opts.input.once('end', stop);
    opts.input.once('close', stop);
    output.once('error', stop);
    output.once('close', stop);
    void connect();
  });
}

/** The daemon answers; this process only carries the request (the daemon sees this user's uid, not the UI's). */
async function forward(controlPath: string, req: Exclude<ProxyRequest, { op: 'framing' }>): Promise<{ ok: boolean; reason?: string; environ?: [string, string][]; history?: HistoryReply }> {
  if (req.op === 'history') {
    // This process's own control connection: the daemon admits it by this user's SO_PEERCRED and checks the query.
    try {
      const r = await request(controlPath, { op: 'history', query: req.query }, HISTORY_TIMEOUT_MS);
      if (!r.ok) return { ok: false, reason: r.reason };
      return r.op === 'history' ? { ok: true, history: { result: r.result, historyError: r.historyError } } : { ok: false, reason: `unexpected reply ${r.op}` };
    } catch (err) {
      return { ok: false, reason: `the daemon did not answer: ${(err as Error).message}` };
    }
  }
  if (req.op === 'signal') {
    const r = await sendSignal(controlPath, { target: req.target, pid: req.pid, startedAt: req.startedAt, signal: req.signal });
    return r.ok ? { ok: true } : { ok: false, reason: r.reason };
  }
  const r = await requestEnviron(controlPath, req.pid, req.startedAt);
  return r.ok ? { ok: true, environ: r.environ } : { ok: false, reason: r.reason };
}
