// The daemon's single source of truth: every event is reduced here and published into the ring, in that order,
// synchronously, so a snapshot taken between two events matches the ring's next sequence number exactly.
import { createRing, type RingWriter } from '../ring/ring.js';
import type { BtmEvent } from '../state/events.js';
import { EVENT_VERSION } from '../state/events.js';
import type { State } from '../state/model.js';
import { initialState, reduce } from '../state/reducer.js';
import { toSnapshot, type Snapshot } from '../state/snapshot.js';
import { encodeEvent } from './event-codec.js';
import { RING_KIND_EVENT } from './protocol.js';

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
  private refused = 0;
  private closed = false;
  /** Told of every event once reduced (the history recorder); must not do I/O. */
  observer: ((event: BtmEvent, state: State) => void) | null = null;

  constructor(private readonly opts: PublisherOptions) {
    this.maxRecordBytes = Math.floor(opts.capacityBytes / 4);
    this.ring = createRing({ path: opts.ringPath, capacityBytes: opts.capacityBytes, maxRecordBytes: this.maxRecordBytes,
      mode: opts.mode, ...(opts.gid !== undefined ? { gid: opts.gid } : {}) });
  }

  get current(): State {
    return this.state;
  }

  /** Never throws: an event that cannot be published is counted in `refusedEvents` and reported. */
  publish(event: BtmEvent): void {
    // Peers torn down while the daemon stops still report their close: there is no ring to publish into any more.
    if (this.closed) return;
    // An event that cannot go into the ring would desynchronise clients from the daemon: apply neither, and say so.
    const encoded = encodeEvent(event, this.maxRecordBytes);
    if (!encoded.ok) {
      this.refused++;
      this.opts.onError(`dropped an event: ${encoded.reason}`);
      return;
    }
    try {
      this.state = reduce(this.state, event);
    } catch (err) {
      // Clients run the same reducer on the same record and meet the same error: publish it all the same.
      this.opts.onError(`reducing a ${event.kind} event threw: ${(err as Error).message}`);
    }
    try {
      this.ring.append(RING_KIND_EVENT, encoded.payload);
    } catch (err) {
      this.refused++;
      this.opts.onError(`ring append failed: ${(err as Error).message}`);
    }
    try {
      this.observer?.(event, this.state);
    } catch (err) {
      // The history must never cost the live state.
      this.opts.onError(`history observer threw: ${(err as Error).message}`);
    }
  }

  get refusedEvents(): number {
    return this.refused;
  }

  /** The state as of `seq`: a client applies ring records from `seq` on. */
  snapshot(): { seq: number; snapshot: Snapshot; eventVersion: number } {
    return { seq: this.ring.nextSeq, snapshot: toSnapshot(this.state), eventVersion: EVENT_VERSION };
  }

  get ringPath(): string {
    return this.opts.ringPath;
  }

  close(): void {
    this.closed = true;
    this.ring.close();
  }
}
