// UIs attaching together share one snapshot. Encoding the state is the daemon's biggest single piece of work
// (about 9 MB of JSON and hundreds of milliseconds at 20,000 derivations): ten UIs attaching at once, or one that
// reconnects in a loop, would otherwise keep the main thread from everything else. A snapshot stays valid for a
// client however old it is, as long as the ring still holds the records after it (a client that finds them lapped
// takes a new snapshot), so one encoded reply serves every hello within `maxAgeMs`; then it is dropped.
import { performance } from 'node:perf_hooks';

export class HelloCache {
  private cached: { readonly line: Buffer; readonly at: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private encodes = 0;

  constructor(private readonly maxAgeMs = 250, private readonly now: () => number = () => performance.now()) {}

  /** The hello reply as one line (newline included), encoded only when none younger than `maxAgeMs` is kept. */
  reply(encode: () => string): Buffer {
    const now = this.now();
    if (this.cached && now - this.cached.at < this.maxAgeMs) return this.cached.line;
    const line = Buffer.from(encode() + '\n');
    this.encodes++;
    this.cached = { line, at: now };
    // Nobody keeps 9 MB of an old state alive: drop it when it can no longer be handed out.
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.cached = null; this.timer = null; }, this.maxAgeMs);
    this.timer.unref();
    return line;
  }

  /** Snapshots encoded so far (for status and tests). */
  get encoded(): number {
    return this.encodes;
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.cached = null;
  }
}
