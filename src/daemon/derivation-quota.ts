// What one non-root uid's open log sources may add to the daemon's derivations. A Build start (or a plan line) naming
// a derivation nobody knew creates one, about 800 bytes of heap and 650 of every hello's snapshot, and a running
// job's derivations are never evicted: 45 MB of forged Build starts from one user (300,000) made a 1.2 GB daemon
// that answered no hello for over half a minute. Counted by what each event really added to the state (whatever
// record did it); a source whose uid is past its allowance publishes no more Nix records and is closed, so its job
// ends and its derivations are evicted as any closed job's are. Root (the Nix daemon's workers) is not counted.
import type { BtmEvent } from '../state/events.js';

export type Emit = (event: BtmEvent, line?: string) => void;

export type QuotedSource = {
  /** Publishes through the quota: Nix records of a source past its uid's allowance are dropped. */
  readonly emit: Emit;
  /** The source is closed: what it added no longer counts against its uid. */
  release(): void;
};

export class DerivationQuota {
  private readonly perUid = new Map<number | null, number>();

  /** `max`: derivations the open sources of one non-root uid may add; `size`: the daemon's derivations now. */
  constructor(readonly max: number, private readonly size: () => number) {}

  /** `onOver` is called once, after the event that took the uid past its allowance (close the connection there). */
  source(uid: number | null, emit: Emit, onOver: (added: number) => void): QuotedSource {
    if (uid === 0) return { emit, release: () => undefined };
    let mine = 0;
    let over = false;
    let released = false;
    return {
      emit: (event, line) => {
        if (over && event.kind === 'nix') return;
        const before = this.size();
        emit(event, line);
        const grown = this.size() - before;
        if (grown <= 0 || released) return;
        mine += grown;
        const total = (this.perUid.get(uid) ?? 0) + grown;
        this.perUid.set(uid, total);
        if (total > this.max && !over) {
          over = true;
          // Not from inside the splitter that is emitting: the caller closes the connection on its own turn.
          queueMicrotask(() => onOver(total));
        }
      },
      release: () => {
        if (released) return;
        released = true;
        const left = (this.perUid.get(uid) ?? 0) - mine;
        if (left <= 0) this.perUid.delete(uid); else this.perUid.set(uid, left);
      },
    };
  }

  /** Derivations the open sources of `uid` added (for tests and the log). */
  added(uid: number): number {
    return this.perUid.get(uid) ?? 0;
  }
}
