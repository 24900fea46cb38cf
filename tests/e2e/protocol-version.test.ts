// Version negotiation in hello against a real daemon: a client of another protocol, event or snapshot version is
// refused with a sentence naming both sides' versions (instead of misreading the ring), and ours is answered.
import { afterAll, describe, expect, it } from 'vitest';
import { request } from '../../src/client/daemon-client.js';
import { EVENT_VERSION, OUR_VERSIONS, PROTOCOL_VERSION, SNAPSHOT_VERSION } from '../../src/protocol/version.js';
import { startDaemon, stopAll } from './daemon-helpers.js';

afterAll(stopAll);

describe('hello negotiates versions', () => {
  it('an older client, or one of other event/snapshot versions, is refused in words; ours gets the ring', async () => {
    const d = await startDaemon();
    const ours = `protocol ${PROTOCOL_VERSION}, events ${EVENT_VERSION}, snapshots ${SNAPSHOT_VERSION}`;
    const old = await request(d.paths.control, { op: 'hello', version: 1 });
    expect(old).toEqual({ ok: false, op: 'hello', reason: `the daemon speaks ${ours}, this client protocol 1, events ?, ` +
      'snapshots ?: run the same nix-btm version for both (restart the daemon, or the UI, after an upgrade)' });
    for (const other of [{ eventVersion: EVENT_VERSION + 1 }, { snapshotVersion: String(SNAPSHOT_VERSION) }]) {
      const r = await request(d.paths.control, { op: 'hello', ...OUR_VERSIONS, ...other });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toContain(`the daemon speaks ${ours}, this client`);
    }
    const r = await request(d.paths.control, { op: 'hello', ...OUR_VERSIONS });
    expect(r).toMatchObject({ ok: true, op: 'hello', ...OUR_VERSIONS, ringPath: expect.any(String), seq: expect.any(Number) });
    await d.stop();
  }, 60_000);
});
