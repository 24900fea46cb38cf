// A client of the daemon: hello on the control socket (ring location + snapshot at a sequence), then the ring from
// there. Lapped, or the daemon restarted: it asks for a new snapshot, so it always ends with the daemon's state.
import { connect } from 'node:net';
import { closeSync } from 'node:fs';
import { openRing, openWakeFifo, type RingReader, type WakeFifoFd } from '../ring/ring.js';
import type { BtmEvent } from '../state/events.js';
import type { State } from '../state/model.js';
import { reduce } from '../state/reducer.js';
import { fromSnapshot } from '../state/snapshot.js';
import { decodeRecordAt } from '../protocol/events.js';
import { OUR_VERSIONS, versionMismatch, versionsOf } from '../protocol/version.js';
import { onJsonLines, sendJson } from './json-lines.js';
import type { DaemonInfo, Reply, SignalRequest } from '../protocol/control.js';

/** One request, one reply, on a fresh connection. */
export function request(controlPath: string, req: object, timeoutMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(controlPath);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer from ${controlPath} in ${timeoutMs} ms`)); }, timeoutMs);
    socket.once('connect', () => sendJson(socket, req));
    onJsonLines(socket, (reply) => { clearTimeout(timer); socket.destroy(); resolve(reply as Reply); },
      (reason) => { clearTimeout(timer); socket.destroy(); reject(new Error(reason)); });
    socket.once('error', (err) => { clearTimeout(timer); reject(err); });
    socket.once('close', () => { clearTimeout(timer); reject(new Error(`${controlPath} closed the connection`)); });
  });
}

export type Hello = { state: State; seq: number; ringPath: string; daemon: DaemonInfo };

export async function hello(controlPath: string, timeoutMs?: number): Promise<Hello> {
  const reply = await request(controlPath, { op: 'hello', ...OUR_VERSIONS }, timeoutMs);
  if (!reply.ok) throw new Error(reply.reason);
  if (reply.op !== 'hello') throw new Error(`unexpected reply ${reply.op}`);
  // A daemon of protocol 1 answered without checking our versions: refuse its snapshot and ring rather than misread.
  const mismatch = versionMismatch(versionsOf(reply), 'this client');
  if (mismatch !== null) throw new Error(mismatch);
  return caughtUp({ state: fromSnapshot(reply.snapshot), seq: reply.seq, ringPath: reply.ringPath, daemon: reply.daemon });
}

/**
 * The snapshot brought up to where the ring was when we asked: hellos within 250 ms share one snapshot
 * (hello-cache.ts), so a one-shot reader (`status`, a test) applies the records published since, and sees every event
 * published before its hello. Up to the head as it was, never chasing a ring still being written (a flood). A ring
 * it cannot read, lapped or damaged leaves the snapshot as it came: a subscription deals with those itself.
 */
function caughtUp(h: Hello): Hello {
  let reader: RingReader | null = null;
  try {
    reader = openRing(h.ringPath);
    const target = reader.nextSeq;
    let { state, seq } = h;
    while (seq < target) {
      const b = reader.readBlock(seq);
      if (b.lost || b.count === 0) return h;
      for (let i = 0; i < b.count; i++) {
        const d = decodeRecordAt(b.metas[2 * i] ?? 0, b.data, b.offsets[i] ?? 0, b.offsets[i + 1] ?? 0);
        if (!d.ok) return h;
        state = reduceSafely(state, d.event);
      }
      seq = b.nextSeq;
    }
    return { ...h, state, seq };
  } catch {
    return h;
  } finally {
    reader?.close();
  }
}

export async function sendSignal(controlPath: string, req: SignalRequest): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const reply = await request(controlPath, { op: 'signal', ...req });
    return reply.ok ? { ok: true } : { ok: false, reason: reply.reason };
  } catch (err) {
    return { ok: false, reason: `the daemon did not answer: ${(err as Error).message}` };
  }
}

export type Subscription = {
  readonly state: State;
  readonly daemon: DaemonInfo;
  /**
   * Applies every record published since the last call; `alive` is false once the daemon's writer is gone;
   * `invalid`: records that did not decode (each also reported through onDamage, and followed by a re-snapshot).
   */
  poll(): { alive: boolean; lost: number; applied: number; invalid: number };
  /** Records that failed validation since subscribe() started (never applied). */
  readonly invalidRecords: number;
  /** Starts again from a fresh snapshot (after being lapped, or from a restarted daemon). */
  resync(): Promise<void>;
  onReadable(listener: () => void): void;
  /** How the ring reader waits: 'fifo' (the daemon's wake FIFO), 'io_uring', 'thread', or 'none' before onReadable. */
  readonly wait: string;
  close(): void;
};

export type SubscribeOptions = {
  /** Every event applied, in order. */
  readonly onEvent?: (e: BtmEvent) => void;
  /** The state was replaced by a snapshot (after being lapped, or from a restarted daemon). */
  readonly onReset?: (state: State) => void;
  /** Keep reducing into `state` (default true); a UI with its own store turns this off. */
  readonly reduce?: boolean;
  /** A record could not be read or decoded (a damaged ring): the subscription re-snapshots instead of failing. */
  readonly onDamage?: (reason: string) => void;
};

/**
 * A wake FIFO from the daemon for a reader of its ring (asked for beside the hello, so it costs no round trip of
 * its own): the reader's event loop is then woken by the daemon's byte itself, one hop like a socket, where the
 * futex wait needs io_uring's (or a thread's) extra step. Anything amiss (an older daemon, a limit, another
 * ring) leaves the futex wait, which works as before; `stats().wait` says which one runs.
 */
export async function wakeFifo(controlPath: string): Promise<WakeFifo | null> {
  try {
    const reply = await request(controlPath, { op: 'wake' });
    if (!reply.ok || reply.op !== 'wake') return null;
    // Opened at once, while the hello (a whole snapshot) may still be on its way: the daemon adopts it from then.
    return { fifo: openWakeFifo(reply.path), ringPath: reply.ringPath };
  } catch {
    return null; // an older daemon, a limit, not ours to open: the futex wait
  }
}

export type WakeFifo = { readonly fifo: WakeFifoFd; readonly ringPath: string };

/** The reader waits on `wake` if it is for this ring; otherwise (another ring: the daemon restarted) on the futex. */
export function useWakeFifo(reader: RingReader, wake: WakeFifo | null): RingReader {
  if (wake === null) return reader;
  if (wake.ringPath === reader.path) return reader.wakeBy(wake.fifo);
  closeSync(wake.fifo.fd);
  return reader;
}

/** openRing, waiting on `wake` where it fits (useWakeFifo); the FIFO is closed if the ring cannot be opened. */
export function openRingWoken(ringPath: string, wake: WakeFifo | null): RingReader {
  let reader: RingReader;
  try {
    reader = openRing(ringPath);
  } catch (err) {
    if (wake) closeSync(wake.fifo.fd);
    throw err;
  }
  return useWakeFifo(reader, wake);
}

/** Hello and a wake FIFO, asked for at once; the FIFO is closed if the hello fails. */
export async function helloWoken<T>(controlPath: string, hi: () => Promise<T>): Promise<{ hello: T; wake: WakeFifo | null }> {
  const wake = wakeFifo(controlPath);
  try {
    return { hello: await hi(), wake: await wake };
  } catch (err) {
    const w = await wake;
    if (w) closeSync(w.fifo.fd);
    throw err;
  }
}

async function openSubscribed(controlPath: string): Promise<{ h: Hello; reader: RingReader }> {
  const { hello: h, wake } = await helloWoken(controlPath, () => hello(controlPath));
  return { h, reader: openRingWoken(h.ringPath, wake) };
}

/** Snapshot + ring: `state` is the daemon's state as of the last poll(). */
export async function subscribe(controlPath: string, opts: SubscribeOptions = {}): Promise<Subscription> {
  const { onEvent, onReset, onDamage } = opts;
  const reducing = opts.reduce ?? true;
  let { h, reader } = await openSubscribed(controlPath);
  let state = h.state;
  let seq = h.seq;
  let resyncing: Promise<void> | null = null;
  let invalidRecords = 0;
  const listeners: (() => void)[] = [];
  const resync = (): Promise<void> => (resyncing ??= (async () => {
    try {
      const { h: next, reader: nextReader } = await openSubscribed(controlPath);
      reader.close();
      h = next; reader = nextReader; state = next.state; seq = next.seq;
      for (const l of listeners) reader.onReadable(l);
      onReset?.(state);
    } finally {
      resyncing = null;
    }
  })());
  return {
    get state() { return state; },
    get daemon() { return h.daemon; },
    get invalidRecords() { return invalidRecords; },
    poll() {
      let applied = 0;
      let lost = 0;
      let invalid = 0;
      // Only the daemon writes the ring, but a damaged file (or a bug) must cost a re-snapshot, never the UI.
      const damaged = (err: unknown): void => {
        onDamage?.((err as Error).message);
        void resync().catch(() => undefined);
      };
      reading: while (!resyncing) {
        let b;
        try {
          b = reader.readBlock(seq); // one buffer per read; its records are decoded before the next read reuses it
        } catch (err) {
          damaged(err);
          break;
        }
        if (b.lost) { lost += b.lost.to - b.lost.from + 1; void resync().catch(() => undefined); break; }
        const { data, metas, offsets } = b;
        for (let i = 0; i < b.count; i++) {
          const decoded = decodeRecordAt(metas[2 * i] ?? 0, data, offsets[i] ?? 0, offsets[i + 1] ?? 0);
          if (!decoded.ok) {
            // Never applied: the state would no longer be the daemon's. Counted, reported, and a fresh snapshot.
            invalid++;
            invalidRecords++;
            damaged(new Error(`ring record ${b.firstSeq + i} is not a valid event: ${decoded.reason}`));
            break reading;
          }
          const event = decoded.event;
          if (reducing) state = reduceSafely(state, event);
          onEvent?.(event);
          applied++;
        }
        seq = b.nextSeq;
        if (b.count === 0) break;
      }
      return { alive: reader.writerAlive(), lost, applied, invalid };
    },
    resync,
    onReadable: (listener) => { listeners.push(listener); reader.onReadable(listener); },
    get wait() { return reader.closed ? 'none' : reader.stats().wait; },
    close: () => reader.close(),
  };
}

/** The daemon kept the state a throwing reducer left (it updates in place): so does the client, never dying on it. */
export function reduceSafely(state: State, event: BtmEvent): State {
  try {
    return reduce(state, event);
  } catch {
    return state;
  }
}

export async function requestEnviron(controlPath: string, pid: number, startedAt: number):
  Promise<{ ok: true; environ: [string, string][] } | { ok: false; reason: string }> {
  try {
    const reply = await request(controlPath, { op: 'environ', pid, startedAt });
    if (!reply.ok) return { ok: false, reason: reply.reason };
    return reply.op === 'environ' ? { ok: true, environ: reply.environ } : { ok: false, reason: `unexpected reply ${reply.op}` };
  } catch (err) {
    return { ok: false, reason: `the daemon did not answer: ${(err as Error).message}` };
  }
}

export type Attachment = {
  /** Asks the daemon to scan every process (true) or only the Nix forest (false) while this UI is attached. */
  setAll(all: boolean): void;
  /** Stops the daemon if this is the only UI and no build runs; the reason when it does not. */
  stopIfAlone(): Promise<{ ok: true } | { ok: false; reason: string }>;
  close(): void;
};

/** A UI's open control connection (see src/daemon/attach.ts); `onClose` when the daemon goes away. */
export function attach(controlPath: string, all: boolean, onClose: () => void = () => {}): Attachment {
  const socket = connect(controlPath);
  const waiting: ((reply: Reply) => void)[] = [];
  let closed = false;
  // Written now, not on 'connect': writes are queued in order, so a setAll() made while connecting comes after it.
  sendJson(socket, { op: 'attach', all });
  onJsonLines(socket, (reply) => {
    const r = reply as Reply;
    if (r.op === 'stop-if-alone') waiting.shift()?.(r);
  }, () => undefined);
  socket.on('error', () => socket.destroy());
  socket.once('close', () => {
    closed = true;
    for (const w of waiting.splice(0)) w({ ok: false, op: 'stop-if-alone', reason: 'the daemon closed the connection' });
    onClose();
  });
  return {
    setAll: (on) => { if (!closed) sendJson(socket, { op: 'attach', all: on }); },
    stopIfAlone: () => new Promise((resolve) => {
      if (closed) { resolve({ ok: false, reason: 'not connected to the daemon' }); return; }
      const timer = setTimeout(() => resolve({ ok: false, reason: 'the daemon did not answer' }), 3000);
      waiting.push((r) => { clearTimeout(timer); resolve(r.ok ? { ok: true } : { ok: false, reason: (r as { reason: string }).reason }); });
      sendJson(socket, { op: 'stop-if-alone' });
    }),
    close: () => { closed = true; socket.destroy(); },
  };
}
