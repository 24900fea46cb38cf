// One Nix log stream (a file, a socket connection, a child's stderr) -> events for one source.
import type { At, BtmEvent, SourceId, SourceInfo } from '../state/events.js';
import { createDecoder, type DecodeStats } from './decode.js';
import { salvageLogLine } from './salvage.js';
import { LineSplitter, DEFAULT_MAX_LINE_BYTES, type ByteBudget } from './lines.js';

export type LogSourceOptions = {
  readonly source: SourceId;
  readonly info: SourceInfo;
  /** Receives every event, in order. */
  readonly emit: (event: BtmEvent) => void;
  /** The receive time stamped on each event; a replay of a saved log passes () => null. */
  readonly clock: () => At;
  readonly maxLineBytes?: number;
  /** Shared bound on partial-line bytes across sockets (see lines.ts). */
  readonly budget?: ByteBudget;
  readonly guaranteedLineBytes?: number;
};

export type LogSource = {
  readonly stats: DecodeStats;
  push(chunk: Buffer): void;
  /** The stream ended; flushes a last partial line and closes the source. */
  end(exitCode: number | null, reason: 'eof' | 'vanished' | 'error'): void;
};

export function openLogSource(opts: LogSourceOptions): LogSource {
  const { source, emit, clock } = opts;
  const decoder = createDecoder();
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const splitter = new LineSplitter({
    line: (text) => emit({ kind: 'nix', at: clock(), source, record: decoder.decode(text) }),
    oversize: (head, totalBytes, tail) => {
      const salvaged = salvageLogLine(head, tail, totalBytes);
      if (salvaged) { decoder.stats.records++; emit({ kind: 'nix', at: clock(), source, record: salvaged }); return; }
      decoder.stats.invalid++;
      const reason = `line of ${totalBytes} bytes is over the limit (${maxLineBytes} bytes, less when many peers hold long lines): dropped`;
      emit({ kind: 'nix', at: clock(), source, record: { kind: 'invalid', reason, sample: head.slice(0, 200) + '…' } });
    },
  }, maxLineBytes, {
    ...(opts.budget ? { budget: opts.budget } : {}),
    ...(opts.guaranteedLineBytes !== undefined ? { guaranteedBytes: opts.guaranteedLineBytes } : {}),
  });
  let ended = false;
  emit({ kind: 'source-open', at: clock(), source, info: opts.info });
  return {
    stats: decoder.stats,
    push: (chunk) => { if (!ended) splitter.push(chunk); },
    end(exitCode, reason) {
      if (ended) return;
      ended = true;
      splitter.end();
      emit({ kind: 'source-close', at: clock(), source, exitCode, reason });
    },
  };
}
