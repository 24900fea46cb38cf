// What one non-root uid's open log sources may add to the daemon's state: derivations, and transfers and open
// activities, which cost about as much. A Build start (or a plan line) naming a derivation nobody knew creates one,
// about 800 bytes of heap and 650 of every hello's snapshot, and a running job's derivations are never evicted: 45 MB
// of forged Build starts from one user (300,000) made a 1.2 GB daemon that answered no hello for over half a minute.
// Counted net, by what each event really changed (whatever record did it: a stop gives back its activity); a source
// whose uid is past its allowance publishes no more Nix records and is closed, so its job ends and what it held is
// evicted as any closed job's is. Root (the Nix daemon's workers) is not counted.
import type { BtmEvent } from '../state/events.js';

export type Emit = (event: BtmEvent, line?: string) => void;
/** Several events of one source at once, each with its line (Publisher.publishAll). */
export type EmitAll = (events: readonly BtmEvent[], lines: readonly string[]) => void;

export type QuotedSource = {
  /** Publishes through the quota: Nix records of a source past its uid's allowance are dropped. */
  readonly emit: Emit;
  /** The same for a chunk's events, counted together (what the chunk added in all). */
  readonly emitAll: EmitAll;
  /** The source is closed: what it added no longer counts against its uid. */
  release(): void;
};

/** Entries one record adds at most, but for a plan: a Build or CopyPath start's derivation or transfer and its activity. */
const MOST_PER_RECORD = 2;

export class DerivationQuota {
  private readonly perUid = new Map<number | null, number>();

  /**
   * `max`: entries the open sources of one non-root uid may add; `size`: the entries an event may change now (the
   * daemon's derivations and transfers, the event's source's open activities).
   */
  constructor(readonly max: number, private readonly size: (event: BtmEvent) => number) {}

  /** `onOver` is called once, after the event that took the uid past its allowance (close the connection there). */
  source(uid: number | null, emit: Emit, emitAll: EmitAll, onOver: (added: number) => void): QuotedSource {
    if (uid === 0) return { emit, emitAll, release: () => undefined };
    let mine = 0;
    let over = false;
    let released = false;
    const count = (grown: number): void => {
      if (grown === 0 || released) return;
      // Net, never below nothing: an eviction during this event may free what other sources held.
      const next = Math.max(0, mine + grown);
      const total = Math.max(0, (this.perUid.get(uid) ?? 0) + next - mine);
      mine = next;
      if (total === 0) this.perUid.delete(uid); else this.perUid.set(uid, total);
      if (total > this.max && !over) {
        over = true;
        // Not from inside the splitter that is emitting: the caller closes the connection on its own turn.
        queueMicrotask(() => onOver(total));
      }
    };
    const quoted: QuotedSource = {
      emit: (event, line) => {
        if (over && event.kind === 'nix') return;
        const before = this.size(event);
        emit(event, line);
        count(this.size(event) - before);
      },
      emitAll: (events, lines) => {
        const first = events[0];
        if (over || first === undefined) return; // a chunk holds only Nix records
        // A chunk is counted once, after it: near the allowance it goes one record at a time, so that a source stops
        // one record past it, not a chunk's worth (hundreds of records from one 64 KiB read).
        if ((this.perUid.get(uid) ?? 0) + events.length * MOST_PER_RECORD > this.max) {
          for (let i = 0; i < events.length && !over; i++) quoted.emit(events[i]!, lines[i]);
          return;
        }
        const before = this.size(first);
        emitAll(events, lines);
        count(this.size(first) - before);
      },
      release: () => {
        if (released) return;
        released = true;
        const left = (this.perUid.get(uid) ?? 0) - mine;
        if (left <= 0) this.perUid.delete(uid); else this.perUid.set(uid, left);
      },
    };
    return quoted;
  }

  /** Entries the open sources of `uid` hold (for tests and the log). */
  added(uid: number): number {
    return this.perUid.get(uid) ?? 0;
  }
}
