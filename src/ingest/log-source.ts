// One Nix log stream (a file, a socket connection, a child's stderr) -> events for one source.
import type { At, BtmEvent, SourceId, SourceInfo } from '../state/events.js';
import { createDecoder, type DecodeStats } from './decode.js';
import { salvageLogLine } from './salvage.js';
import { LineSplitter, DEFAULT_MAX_LINE_BYTES, type ByteBudget } from './lines.js';

export type LogSourceOptions = {
  readonly source: SourceId;
  readonly info: SourceInfo;
  /**
   * Receives every event, in order; a `nix` event decoded from one whole line comes with that line (the daemon
   * publishes the line itself, src/protocol/nix-line.ts), a salvaged or refused one without.
   */
  readonly emit: (event: BtmEvent, line?: string) => void;
  /** Several `nix` events at once, each with its line (a chunk's lines after its first), in order; default: emit each. */
  readonly emitAll?: (events: readonly BtmEvent[], lines: readonly string[]) => void;
  /**
   * The receive time stamped on each event, read once per pushed chunk (its lines arrived together) and once per
   * `line()`; a replay of a saved log passes () => null.
   */
  readonly clock: () => At;
  readonly maxLineBytes?: number;
  /** Shared bound on partial-line bytes across sockets (see lines.ts). */
  readonly budget?: ByteBudget;
  readonly guaranteedLineBytes?: number;
};

export type LogSource = {
  readonly stats: DecodeStats;
  push(chunk: Buffer): void;
  /**
   * One line its transport already split and bounded (a feed's `{line}` from `nix-btm run`): decoded as it is, with
   * no second split and no copy into bytes; a line over this source's limit, or with newlines, goes through the splitter.
   */
  line(text: string): void;
  /** The stream ended; flushes a last partial line and closes the source. */
  end(exitCode: number | null, reason: 'eof' | 'vanished' | 'error'): void;
};

export function openLogSource(opts: LogSourceOptions): LogSource {
  const { source, emit, clock } = opts;
  const decoder = createDecoder();
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // The lines of one chunk were received together: they share its receive time, read once per chunk (not per line:
  // a clock read per record was ~3% of the daemon's main thread under npm run bench, key `e2e`).
  let chunkAt: At | undefined;
  const receivedAt = (): At => (chunkAt === undefined ? clock() : chunkAt);
  const decode = (text: string): void => emit({ kind: 'nix', at: receivedAt(), source, record: decoder.decode(text) }, text);
  // A chunk's first line is emitted at once (a reader sees the start of a burst without waiting for the rest);
  // its other lines are split first, then decoded, then emitted, each step over all of them: the daemon meets a
  // chunk after sleeping, with cold caches, and one step at a time keeps each step's code and data warm (main
  // thread ~8.2% -> ~7.4% of a core under npm run bench, key `e2e`, median of 6 interleaved runs each).
  let inChunk = false;
  let chunkLines: string[] | null = null;
  const emitChunkLines = (): void => {
    const lines = chunkLines;
    if (lines === null || lines.length === 0) return;
    chunkLines = [];
    const records = lines.map((line) => decoder.decode(line));
    const events = records.map((record): BtmEvent => ({ kind: 'nix', at: receivedAt(), source, record }));
    if (opts.emitAll) opts.emitAll(events, lines);
    else for (let i = 0; i < events.length; i++) emit(events[i]!, lines[i]);
  };
  const splitter = new LineSplitter({
    line: (text) => {
      if (chunkLines !== null) { chunkLines.push(text); return; }
      decode(text);
      if (inChunk) chunkLines = [];
    },
    oversize: (head, totalBytes, tail) => {
      emitChunkLines(); // the lines before it go first
      const salvaged = salvageLogLine(head, tail, totalBytes);
      if (salvaged) { decoder.stats.records++; emit({ kind: 'nix', at: receivedAt(), source, record: salvaged }); return; }
      decoder.stats.invalid++;
      const reason = `line of ${totalBytes} bytes is over the limit (${maxLineBytes} bytes, less when many peers hold long lines): dropped`;
      emit({ kind: 'nix', at: receivedAt(), source, record: { kind: 'invalid', reason, sample: head.slice(0, 200) + '…' } });
    },
  }, maxLineBytes, {
    ...(opts.budget ? { budget: opts.budget } : {}),
    ...(opts.guaranteedLineBytes !== undefined ? { guaranteedBytes: opts.guaranteedLineBytes } : {}),
  });
  let ended = false;
  emit({ kind: 'source-open', at: clock(), source, info: opts.info });
  return {
    stats: decoder.stats,
    push: (chunk) => {
      if (ended) return;
      chunkAt = clock();
      inChunk = true;
      try {
        splitter.push(chunk);
        emitChunkLines();
      } finally {
        chunkAt = undefined;
        inChunk = false;
        chunkLines = null;
      }
    },
    line: (text) => {
      if (ended) return;
      // A line with newlines in it (a hostile feed) or over the limit is split and bounded as bytes would be.
      if (text.includes('\n') || (text.length * 3 > maxLineBytes && Buffer.byteLength(text) > maxLineBytes)) splitter.push(Buffer.from(text + '\n'));
      else decode(text);
    },
    end(exitCode, reason) {
      if (ended) return;
      ended = true;
      splitter.end();
      emit({ kind: 'source-close', at: clock(), source, exitCode, reason });
    },
  };
}
