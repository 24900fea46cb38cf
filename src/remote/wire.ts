// What `nix-btm proxy` writes on its stdout and reads on its stdin, one line each. An event travels as the ring's own
// payload (one line of JSON already) behind "E ", so the proxy never decodes or re-encodes it; everything else is a
// JSON control message behind "C ". A UI that asks for the batch framing (offered in hello's `framings`) gets each
// ring read's events as one line instead, "B [payload,payload,...]": the same payloads joined, so still never
// decoded by the proxy, and one parse per batch for the UI. Both ends check what they read: a remote machine is a
// peer like any other.
import type { DaemonInfo, SignalRequest } from '../protocol/control.js';
import type { Snapshot } from '../state/snapshot.js';

export const WIRE_VERSION = 1;

export type ProxyMessage =
  /** The remote daemon's state at `seq`; the events that follow apply on top of it (first connection, lapped, restart). */
  | { readonly t: 'hello'; readonly version: number; readonly seq: number; readonly snapshot: Snapshot; readonly daemon: DaemonInfo;
    /** The framings this proxy can switch to on request (absent: an older proxy, lines only). */
    readonly framings?: readonly string[] }
  /** The remote daemon does not answer; the proxy keeps trying and says `hello` again when it does. */
  | { readonly t: 'down'; readonly reason: string }
  /** Sent every few seconds: a silent connection is a dead one (ssh may not notice a stopped peer for minutes). */
  | { readonly t: 'beat'; readonly seq: number }
  | { readonly t: 'reply'; readonly id: number; readonly ok: boolean; readonly reason?: string; readonly environ?: [string, string][];
    /** A history query's answer, as the remote daemon gave it (its shape is checked by the UI: history/answer-shape.ts). */
    readonly history?: HistoryReply };

export type HistoryReply = { readonly result: unknown; readonly historyError: string | null };

export type ProxyRequest =
  | ({ readonly id: number; readonly op: 'signal' } & SignalRequest)
  | { readonly id: number; readonly op: 'environ'; readonly pid: number; readonly startedAt: number }
  /** Carried as is: the remote daemon checks the query (src/history/protocol.ts) and who asks (this proxy's uid). */
  | { readonly id: number; readonly op: 'history'; readonly query: unknown }
  /** From now on, events in batches ("B [...]"); the UI reads both framings at any time. */
  | { readonly id: number; readonly op: 'framing'; readonly framing: 'batch' };

/** The framing a proxy offers beyond one line per event. */
export const BATCH_FRAMING = 'batch';

export const BEAT_MS = 3000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A control message from the proxy, shape-checked; the snapshot's own contents are checked by fromSnapshot. */
export function parseProxyMessage(text: string): ProxyMessage | { readonly bad: string } {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return { bad: `not JSON: ${text.slice(0, 80)}` }; }
  if (!isObject(v)) return { bad: 'a control message is a JSON object' };
  switch (v.t) {
    case 'hello':
      if (v.version !== WIRE_VERSION) return { bad: `the remote nix-btm speaks wire version ${String(v.version)}, not ${WIRE_VERSION}: install the same nix-btm there` };
      return typeof v.seq === 'number' && isObject(v.snapshot) && isObject(v.daemon) ? v as ProxyMessage : { bad: 'hello without seq, snapshot or daemon' };
    case 'down': return typeof v.reason === 'string' ? v as ProxyMessage : { bad: 'down without a reason' };
    case 'beat': return typeof v.seq === 'number' ? v as ProxyMessage : { bad: 'beat without seq' };
    case 'reply': {
      if (typeof v.id !== 'number' || typeof v.ok !== 'boolean') return { bad: 'reply without id or ok' };
      if (v.reason !== undefined && typeof v.reason !== 'string') return { bad: 'reply with a reason that is not text' };
      const h = v.history;
      if (h !== undefined && !(isObject(h) && 'result' in h && (h.historyError === null || typeof h.historyError === 'string'))) {
        return { bad: 'reply with a history answer without result or historyError' };
      }
      return v as ProxyMessage;
    }
    default: return { bad: `unknown control message ${String(v.t).slice(0, 40)}` };
  }
}

/** A request the UI sends the proxy; the proxy forwards it, and the remote daemon checks it again. */
export function parseProxyRequest(text: string): ProxyRequest | { readonly bad: string } {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return { bad: 'not JSON' }; }
  if (!isObject(v) || typeof v.id !== 'number') return { bad: 'a request is a JSON object with a numeric id' };
  if (v.op === 'signal' || v.op === 'environ' || v.op === 'history') return v as ProxyRequest;
  if (v.op === 'framing') return v.framing === BATCH_FRAMING ? v as ProxyRequest : { bad: `unknown framing ${String(v.framing).slice(0, 40)}` };
  return { bad: `unknown request ${String(v.op).slice(0, 40)}` };
}
