// A UI's feed when its daemon dies (a real daemon, SIGKILL): it says since when the daemon is lost (the rows are as
// it last said), reconnects to the next daemon on the same runtime dir, and says nothing of "lost" before the first
// connection (a dir where no daemon runs yet: "not reached").
import { afterEach, describe, expect, it } from 'vitest';
import { daemonSession } from '../../src/feeds/daemon-feed.js';
import type { FeedStatus } from '../../src/ui/feed.js';
import { daemonLabel } from '../../src/components/Header.js';
import { freshDir, sleep, startDaemon, stopAll } from './daemon-helpers.js';

afterEach(stopAll);

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('the live feed when the daemon goes away', () => {
  it('not reached, then connected, then lost at a time, then connected to the next daemon', async () => {
    const dir = freshDir('nix-btm-feed-lost-');
    const statuses: FeedStatus[] = [];
    const session = daemonSession({ runtimeDir: dir, startedByUs: false });
    const stop = session.feed.start({ events: () => undefined, reset: () => undefined, status: (s) => statuses.push(s) });
    try {
      await until('a first status', () => statuses.length > 0);
      expect(statuses[0]!.kind).toBe('reconnecting');
      expect(daemonLabel(statuses[0]!)).toBe('daemon: not reached, retrying');
      const d = await startDaemon({ dir });
      await until('connected', () => statuses.at(-1)!.kind === 'connected');
      const before = Date.now();
      d.child.kill('SIGKILL');
      await until('lost', () => statuses.at(-1)!.kind === 'reconnecting');
      const lost = statuses.at(-1)!;
      expect(lost.lostAt).toBeGreaterThanOrEqual(before);
      expect(daemonLabel(lost)).toMatch(/^daemon: lost at \d\d:\d\d:\d\d, reconnecting; rows as it last said$/);
      await startDaemon({ dir });
      await until('connected again', () => statuses.at(-1)!.kind === 'connected');
      expect(statuses.at(-1)!.lostAt).toBeUndefined();
    } finally {
      stop();
    }
  }, 60_000);
});
