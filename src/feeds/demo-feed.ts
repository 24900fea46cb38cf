// The demo and `replay --live`: a recording played through the store at its recorded pace.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostInfo } from '../state/events.js';
import type { Feed, FeedStatus } from '../ui/feed.js';
import type { Recording } from './demo-timeline.js';
import { buildRecording, drvInfosFromShowDerivation } from './demo-timeline.js';

export const DEMO_LOG = 'log-daemon-root-dag-success.jsonl';
export const DEMO_PS = 'ps-daemon-root-dag-success.txt';
export const DEMO_DRVS = 'drv-daemon-root-dag-success.json';

/** The capture's README: Debian bookworm nix-bin 2.8.0; ps recorded no host figures, so none are shown. */
const DEMO_HOST: HostInfo = { hostname: 'recorded build', nixVersion: '2.8.0', cpuPercent: [], memTotalBytes: 0, memUsedBytes: 0, load: [0, 0, 0] };

/** The repository's demo/ folder, from dist/src/feeds or src/feeds. */
export function demoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'demo', DEMO_LOG))) return join(dir, 'demo');
    dir = dirname(dir);
  }
  throw new Error(`the demo recording (demo/${DEMO_LOG}) is missing from this installation`);
}

export function demoRecording(dir = demoDir()): Recording {
  return buildRecording({
    log: readFileSync(join(dir, DEMO_LOG), 'utf8'), ps: readFileSync(join(dir, DEMO_PS), 'utf8'),
    source: `demo:${DEMO_LOG}`, host: DEMO_HOST, startAt: 0,
    drvs: existsSync(join(dir, DEMO_DRVS)) ? drvInfosFromShowDerivation(JSON.parse(readFileSync(join(dir, DEMO_DRVS), 'utf8'))) : [],
  });
}

export function fileRecording(logPath: string, psPath: string | null, startAt: number): Recording {
  return buildRecording({
    log: readFileSync(logPath, 'utf8'), ps: psPath ? readFileSync(psPath, 'utf8') : null, source: `replay:${basename(logPath)}`,
    host: null, startAt,
  });
}

export type PlayOptions = {
  readonly kind: 'demo' | 'replay';
  readonly detail: string;
  /** Recorded ms per wall-clock ms. */
  readonly speed?: number;
  /** How often due events are delivered. */
  readonly tickMs?: number;
};

/** Plays the recording: every tick, the events whose recorded time has come, in one batch. */
export function playFeed(rec: Recording, opts: PlayOptions): Feed {
  return {
    start: (sink) => {
      const speed = opts.speed ?? 1;
      const began = Date.now();
      let next = 0;
      const status = (finished: boolean): FeedStatus => ({ kind: opts.kind, detail: finished ? `${opts.detail} · finished` : opts.detail, finished });
      sink.status(status(false));
      const tick = (): void => {
        const due = rec.startAt + (Date.now() - began) * speed;
        let end = next;
        while (end < rec.events.length && (rec.events[end]!.at ?? 0) <= due) end++;
        if (end > next) sink.events(rec.events.slice(next, end));
        next = end;
        if (next >= rec.events.length) { clearInterval(timer); sink.status(status(true)); }
      };
      const timer = setInterval(tick, opts.tickMs ?? 50);
      tick();
      return () => clearInterval(timer);
    },
  };
}
