// Messages between the daemon's main thread and its /proc scan thread (src/daemon/scan-worker.ts).
import type { DrvCandidate, Environ } from '../ingest/builder-map.js';
import type { HostInfo, ProcessInfo } from '../state/events.js';

export type ToScan = {
  readonly t: 'scan';
  readonly id: number;
  /** Every process, not only the Nix forest (a UI asked). */
  readonly all: boolean;
  /** The running derivations the daemon knows, for tying builders. */
  readonly candidates: readonly DrvCandidate[];
};

export type FromScan =
  | {
    readonly t: 'scanned';
    readonly id: number;
    /** When the scan started (ms since the epoch): CPU% is measured against it. */
    readonly at: number;
    readonly processes: ProcessInfo[];
    readonly host: HostInfo;
    /** pid -> its builder's pid, for every builder and builder-child of this scan. */
    readonly builderOf: ReadonlyArray<readonly [number, number]>;
    /** Builders whose environment is new or changed since the last scan's message (the rest: unchanged). */
    readonly environs: ReadonlyArray<readonly [number, Environ | null]>;
  }
  | { readonly t: 'failed'; readonly id: number; readonly message: string };
