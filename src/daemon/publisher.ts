// The daemon's single source of truth: every event is published into the ring and reduced here, synchronously
// (publishAll: a batch published, then reduced, in one go), so a snapshot, taken between two calls, matches the
// ring's next sequence number exactly.
import { encodeEvent, ENCODED, RECORD_KIND_EVENT } from '../protocol/events.js';
import { encodeNixLine } from '../protocol/nix-line.js';
import { EVENT_VERSION } from '../protocol/version.js';
import { createRing, RecordBatch, type RingWriter } from '../ring/ring.js';
import type { BtmEvent } from '../state/events.js';
import type { State } from '../state/model.js';
import { initialState, reduce } from '../state/reducer.js';
import { toSnapshot, type Snapshot } from '../state/snapshot.js';

/** Staged bytes that publish at once, without waiting for the end of the turn (bounds the staging buffer). */
const FLUSH_BYTES = 1 << 18;
const FLUSH_RECORDS = 32;
// The first event of a JS turn is published at once: after a quiet spell a client sees the first line of a
// burst without waiting for 31 more to be decoded and reduced (at ~6 us an event, 0.2 ms), for one more native
// call and wake-up per turn.
const FIRST_FLUSH_RECORDS = 1;

/** What wake-offers.ts may do with the ring's writer. */
export type WakeFifoWriter = Pick<RingWriter, 'offerWakeFifo' | 'wakeFifos' | 'wakeFifosOf'>;

export type PublisherOptions = {
  readonly ringPath: string;
  readonly capacityBytes: number;
  readonly mode: number;
  readonly gid: number | undefined;
  readonly onError: (message: string) => void;
};

export class Publisher {
  private state: State = initialState();
  private readonly ring: RingWriter;
  private readonly maxRecordBytes: number;
  // Events reduced in this JS turn, staged for one appendBatch() at its end (or before a snapshot, or when big):
  // one native call and one wake per turn instead of one per event.
  private readonly batch: RecordBatch;
  private flushQueued = false;
  /** Whether this turn has published already (then batches of FLUSH_RECORDS follow). */
  private turnFlushed = false;
  private refused = 0;
  private closed = false;
  /** Records published this turn without a wake-up (those after its first): the end of the turn wakes for them. */
  private unwoken = false;
  private readonly flushSoon = (): void => {
    this.flushQueued = false;
    this.turnFlushed = false;
    this.flush();
  };
  /** Told of every event once reduced (the history recorder); must not do I/O. */
  observer: ((event: BtmEvent, state: State) => void) | null = null;

  constructor(private readonly opts: PublisherOptions) {
    this.maxRecordBytes = Math.floor(opts.capacityBytes / 4);
    this.ring = createRing({ path: opts.ringPath, capacityBytes: opts.capacityBytes, maxRecordBytes: this.maxRecordBytes,
      mode: opts.mode, ...(opts.gid !== undefined ? { gid: opts.gid } : {}) });
    this.batch = new RecordBatch(RECORD_KIND_EVENT, this.maxRecordBytes);
    this.ring.onWakeFifoError = opts.onError;
  }

  get current(): State {
    return this.state;
  }

  /**
   * Never throws: an event that cannot be published is counted in `refusedEvents` and reported. `line`: the Nix
   * line a `nix` event was decoded from, published as it is when it can be (src/protocol/nix-line.ts).
   */
  publish(event: BtmEvent, line?: string): void {
    // Peers torn down while the daemon stops still report their close: there is no ring to publish into any more.
    if (this.closed) return;
    if (!this.stage(event, line)) return;
    this.apply(event);
    this.turnEnds();
    const due = this.turnFlushed ? FLUSH_RECORDS : FIRST_FLUSH_RECORDS;
    if (this.batch.bytes >= FLUSH_BYTES || this.batch.count >= due) {
      // The turn's first record wakes the readers at once; the later ones are published as they come (a reader
      // still busy with the first ones reads them on), woken for at the end of the turn: a FUTEX_WAKE of a
      // waiting reader cost the daemon ~15 us per flush (profile under npm run bench, key `e2e`; the wake-ups
      // taken out of the turn's middle brought the main thread from ~9.7% to ~8.4% of a core).
      this.flush(!this.turnFlushed);
      this.turnFlushed = true;
    }
  }

  /**
   * publish() of each event in turn (a chunk's lines, `lines[i]` the line of `events[i]`), in two steps over all
   * of them: all staged and published, then all reduced; nothing runs between the two, so a snapshot still matches
   * the ring. Each step over many events keeps its code and data warm (npm run bench, key `e2e`).
   */
  publishAll(events: readonly BtmEvent[], lines: readonly (string | undefined)[]): void {
    if (this.closed) return;
    const staged = this.stagedScratch;
    staged.length = events.length;
    for (let i = 0; i < events.length; i++) {
      staged[i] = this.stage(events[i]!, lines[i]);
      if (this.batch.bytes >= FLUSH_BYTES) { this.flush(!this.turnFlushed); this.turnFlushed = true; }
    }
    this.flush(!this.turnFlushed);
    this.turnFlushed = true;
    this.turnEnds();
    for (let i = 0; i < events.length; i++) if (staged[i]) this.apply(events[i]!);
  }

  private readonly stagedScratch: boolean[] = [];

  /** Stages the event's record; false (counted, reported) when it cannot go into the ring. */
  private stage(event: BtmEvent, line: string | undefined): boolean {
    // An event that cannot go into the ring would desynchronise clients from the daemon: apply neither, and say so.
    const encoded = line !== undefined && encodeNixLine(event, line, this.batch) ? ENCODED : encodeEvent(event, this.batch);
    if (encoded.ok) return true;
    this.refused++;
    this.opts.onError(`dropped an event: ${encoded.reason}`);
    return false;
  }

  /** Reduces a staged event and tells the observer. */
  private apply(event: BtmEvent): void {
    try {
      this.state = reduce(this.state, event);
    } catch (err) {
      // Clients run the same reducer on the same record and meet the same error: publish it all the same.
      this.opts.onError(`reducing a ${event.kind} event threw: ${(err as Error).message}`);
    }
    try {
      this.observer?.(event, this.state);
    } catch (err) {
      // The history must never cost the live state.
      this.opts.onError(`history observer threw: ${(err as Error).message}`);
    }
  }

  /** The end of this JS turn publishes what is still staged and wakes the readers for it. */
  private turnEnds(): void {
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushSoon);
    }
  }

  get refusedEvents(): number {
    return this.refused;
  }

  /** Publishes the staged events now (the end of the turn does it anyway) and wakes the readers; never throws. */
  flush(wake = true): void {
    if (this.closed) return;
    if (this.batch.count === 0) {
      if (wake && this.unwoken) { this.unwoken = false; this.ring.wake(); }
      return;
    }
    try {
      this.batch.flush(this.ring, wake);
      this.unwoken = !wake;
    } catch (err) {
      // Each record was checked against the limit when staged: this is a closed or broken ring.
      this.opts.onError(`ring append of ${this.batch.count} events failed: ${(err as Error).message}`);
      this.refused += this.batch.count;
      this.batch.clear();
    }
  }

  /** The state as of `seq`: a client applies ring records from `seq` on. */
  snapshot(): { seq: number; snapshot: Snapshot; eventVersion: number } {
    this.flush();
    return { seq: this.ring.nextSeq, snapshot: toSnapshot(this.state), eventVersion: EVENT_VERSION };
  }

  /** Sequence number of the next record (the metrics' records-published figure). */
  get nextSeq(): number {
    return this.ring.nextSeq;
  }

  get ringPath(): string {
    return this.opts.ringPath;
  }

  /** The ring's wake FIFOs (wake-offers.ts): the writer's, without its publishing side. */
  get wakeFifos(): WakeFifoWriter {
    return this.ring;
  }

  close(): void {
    this.flush();
    this.closed = true;
    this.ring.close();
  }
}
