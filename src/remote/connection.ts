// One watched host: `ssh HOST nix-btm proxy`, its snapshot and events reduced into that host's own state by the
// caller, requests sent with an id. ssh exiting, a silent channel or a bad line costs a reconnect with backoff
// (1 s doubling to 30 s), never the UI: every reconnect starts from a fresh snapshot, so the state is the remote's.
import { spawn, type ChildProcess } from 'node:child_process';
import { LineSplitter } from '../ingest/lines.js';
import { decodeEventArray, decodeEventText } from '../protocol/events.js';
import type { BtmEvent } from '../state/events.js';
import type { State } from '../state/model.js';
import { fromSnapshot } from '../state/snapshot.js';
import type { DaemonInfo, SignalRequest } from '../protocol/control.js';
import { ackPacer } from './ack-pacer.js';
import { sshArgv, type HostSpec } from './hosts.js';
import { BATCH_FRAMING, BEAT_MS, parseProxyMessage, type HistoryReply, type ProxyMessage } from './wire.js';

export type HostStatus =
  | { readonly kind: 'connecting'; readonly detail: string }
  | { readonly kind: 'connected'; readonly detail: string; readonly daemon: DaemonInfo }
  /** ssh reached the machine but its nix-btm daemon does not answer (the proxy keeps trying). */
  | { readonly kind: 'daemon-down'; readonly detail: string }
  /** ssh failed or the channel went silent; `retryAt` is when the next attempt starts. */
  | { readonly kind: 'unreachable'; readonly detail: string; readonly retryAt: number };

export type HostSink = {
  readonly reset: (state: State) => void;
  readonly events: (events: readonly BtmEvent[]) => void;
  readonly status: (status: HostStatus) => void;
};

export type Reply = { readonly ok: boolean; readonly reason?: string; readonly environ?: [string, string][]; readonly history?: HistoryReply };

export type HostConnection = {
  readonly signal: (req: SignalRequest) => Promise<Reply>;
  readonly environ: (pid: number, startedAt: number) => Promise<Reply>;
  /** A history query for that machine's daemon; its answer is unchecked here (the UI checks it by kind). */
  readonly history: (query: unknown) => Promise<Reply>;
  readonly stop: () => void;
};

export type ConnectionOptions = {
  readonly ssh?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** No byte for this long (the proxy beats every 3 s): the channel is dead, ssh is killed. */
  readonly silenceMs?: number;
  /** How long a history answer may take (a host that hangs must not hold the History view). */
  readonly historyTimeoutMs?: number;
};

/**
 * Under the gap between two lone events (the `hosts` bench sends one every 5 ms or more, each answered at once);
 * a stream holds a record back by at most this long.
 */
const ACK_INTERVAL_MS = 4;

/** A snapshot of a big remote state is one line: allow it, but not without bound. */
const MAX_LINE_BYTES = 512 << 20;

export function connectHost(spec: HostSpec, sink: HostSink, opts: ConnectionOptions = {}): HostConnection {
  const minBackoff = opts.minBackoffMs ?? 1000;
  let backoff = minBackoff;
  let child: ChildProcess | null = null;
  let stopped = false;
  let lastByte = Date.now();
  let nextId = 1;
  const pending = new Map<number, (r: Reply) => void>();
  let retry: NodeJS.Timeout | null = null;

  const start = (): void => {
    if (stopped) return;
    sink.status({ kind: 'connecting', detail: `ssh ${spec.destination}…` });
    const proc = spawn(opts.ssh ?? 'ssh', sshArgv(spec, opts.env), { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env });
    child = proc;
    lastByte = Date.now();
    let stderrTail = '';
    let batch: BtmEvent[] = [];
    let live = false;
    let batching = false;
    // An empty line back (the proxy skips it) acknowledges what sshd sent: ack-pacer.ts.
    const acks = ackPacer(() => { if (proc.stdin?.writable && proc.stdin.writableLength === 0) proc.stdin.write('\n'); }, ACK_INTERVAL_MS);
    const onControl = (m: ProxyMessage): void => {
      if (m.t === 'hello') {
        let state: State;
        try { state = fromSnapshot(m.snapshot); } catch (err) { return fail(`bad snapshot: ${(err as Error).message}`); }
        batch = [];
        live = true;
        backoff = minBackoff;
        // One line per ring read instead of one per event, where the proxy offers it (an older one does not).
        if (!batching && m.framings?.includes(BATCH_FRAMING)) { batching = true; void ask({ op: 'framing', framing: BATCH_FRAMING }); }
        sink.reset(state);
        sink.status({ kind: 'connected', detail: `daemon ${m.daemon.pid}`, daemon: m.daemon });
      } else if (m.t === 'down') {
        live = false;
        sink.status({ kind: 'daemon-down', detail: m.reason });
      } else if (m.t === 'reply') {
        pending.get(m.id)?.({ ok: m.ok, reason: m.reason, environ: m.environ, history: m.history });
        pending.delete(m.id);
      }
    };
    const fail = (why: string): void => { stderrTail = why; proc.kill('SIGKILL'); };
    const splitter = new LineSplitter({
      line: (text) => {
        if (text.startsWith('E ')) {
          // Events before the first snapshot (or after `down`) have nothing to apply to.
          if (!live) return;
          // A record that is not a valid event would desynchronise this host's state: reconnect, from a snapshot.
          const d = decodeEventText(text.slice(2));
          if (!d.ok) return fail(`the remote proxy sent a bad event: ${d.reason}`);
          batch.push(d.event);
        } else if (text.startsWith('B ')) {
          if (!live) return;
          const d = decodeEventArray(text.slice(2));
          if (!d.ok) return fail(`the remote proxy sent a bad batch: ${d.reason}`);
          for (const e of d.events) batch.push(e);
        } else if (text.startsWith('C ')) {
          const m = parseProxyMessage(text.slice(2));
          if ('bad' in m) return fail(`the remote proxy: ${m.bad}`);
          if (batch.length > 0) { sink.events(batch); batch = []; }
          onControl(m);
        } else if (text !== '') {
          fail(`the remote side does not speak nix-btm's wire: ${text.slice(0, 120)}`);
        }
      },
      oversize: (_h, bytes) => fail(`a line of ${bytes} bytes from the proxy`),
    }, MAX_LINE_BYTES);
    proc.stdout?.on('data', (chunk: Buffer) => {
      lastByte = Date.now();
      splitter.push(chunk);
      if (batch.length > 0) { const b = batch; batch = []; sink.events(b); }
      // After the chunk is applied: the write wakes ssh, which on a busy machine may take this CPU before the state moved.
      acks.chunk();
    });
    proc.stderr?.setEncoding('utf8').on('data', (c: string) => { stderrTail = (stderrTail + c).slice(-400); });
    proc.stdin?.on('error', () => undefined);
    proc.once('error', (err) => { stderrTail = err.message; });
    // 'close' once the pipes are drained (ssh's last stderr line), but no later than shortly after 'exit': a
    // grandchild of a killed ssh (a ProxyCommand, a stuck shell) may hold the pipes open.
    let ended = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (ended) return;
      ended = true;
      acks.stop();
      proc.stdout?.destroy();
      proc.stderr?.destroy();
      if (child === proc) child = null;
      for (const resolve of pending.values()) resolve({ ok: false, reason: `the connection to ${spec.name} closed` });
      pending.clear();
      if (stopped) return;
      const why = lastLine(stderrTail) || `ssh exited ${code ?? signal}`;
      const retryAt = Date.now() + backoff;
      sink.status({ kind: 'unreachable', detail: why, retryAt });
      retry = setTimeout(start, backoff);
      backoff = Math.min(backoff * 2, opts.maxBackoffMs ?? 30_000);
    };
    proc.once('close', finish);
    proc.once('exit', (code, signal) => setTimeout(() => finish(code, signal), 200));
  };
  const watchdog = setInterval(() => {
    if (child && Date.now() - lastByte > (opts.silenceMs ?? BEAT_MS * 4)) {
      child.kill('SIGKILL');
    }
  }, 1000);
  const ask = (req: object, timeoutMs?: number): Promise<Reply> => new Promise((resolve) => {
    const proc = child;
    if (!proc?.stdin?.writable) { resolve({ ok: false, reason: `${spec.name} is not connected` }); return; }
    const id = nextId++;
    const timer = timeoutMs === undefined ? null : setTimeout(() => {
      pending.delete(id);
      resolve({ ok: false, reason: `${spec.name} did not answer in ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}` });
    }, timeoutMs);
    pending.set(id, (r) => { if (timer) clearTimeout(timer); resolve(r); });
    proc.stdin.write(JSON.stringify({ ...req, id }) + '\n');
  });
  start();
  return {
    signal: (req) => ask({ op: 'signal', target: req.target, pid: req.pid, startedAt: req.startedAt, signal: req.signal }),
    environ: (pid, startedAt) => ask({ op: 'environ', pid, startedAt }),
    history: (query) => ask({ op: 'history', query }, opts.historyTimeoutMs ?? 10_000),
    stop: () => {
      stopped = true;
      clearInterval(watchdog);
      if (retry) clearTimeout(retry);
      child?.kill('SIGTERM');
    },
  };
}

const lastLine = (text: string): string => text.trim().split('\n').filter((l) => l.trim() !== '').pop()?.trim() ?? '';
