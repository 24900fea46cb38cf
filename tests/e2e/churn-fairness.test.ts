// Attack: an unprivileged user opens and closes 600 log connections, each with one forged error, in a fraction of a
// second. The state keeps a bounded number of closed jobs and messages; the flood must cost the attacker its own,
// never root's finished job and its real error, which every UI and `status` still show.
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ATTACKER, GROUP, attackAs, cleanAttacks, ensureUsers, uidOf } from './attacker.js';
import { startDaemon, status, stopAll, waitForStatus } from './daemon-helpers.js';

beforeAll(() => ensureUsers());
afterEach(stopAll);
afterAll(cleanAttacks);

const msg = (text: string): string => JSON.stringify({ action: 'msg', level: 0, msg: text }) + '\n';

describe('a flood of short connections', () => {
  it("evicts the attacker's own closed jobs and errors, not root's", async () => {
    const d = await startDaemon({ group: GROUP });
    // Root's finished job with a real error (as a Nix client would leave it).
    await new Promise<void>((resolve, reject) => {
      const s = connect(d.paths.nixLog, () => s.end(msg("error: root's build of btm-churn-keep failed"), () => resolve()));
      s.on('error', reject);
    });
    await waitForStatus(d.dir, (x) => x.jobs.some((j) => j.uid === 0 && j.status !== 'running'), 20_000, "root's closed job");
    const connections = Array.from({ length: 600 }, (_, i) => ({ chunks: [msg(`error: churn ${i}`)], waitMs: 0 }));
    const flood = attackAs(ATTACKER, { mode: 'fuzz', path: d.paths.nixLog, connections, lanes: 4 });
    expect((await flood.done).connections).toBe(600);
    const attacker = uidOf(ATTACKER);
    const after = await waitForStatus(d.dir, (x) => x.jobs.filter((j) => j.uid === attacker).length >= 150, 30_000, "the attacker's jobs");
    expect(after.jobs.some((j) => j.uid === 0)).toBe(true);
    expect(after.errors.some((e) => e.text.includes("root's build of btm-churn-keep failed"))).toBe(true);
    // Still bounded: the attacker kept what its share and the limits allow.
    expect(after.jobs.length).toBeLessThanOrEqual(220);
    expect(status(d.dir).errors.filter((e) => e.text.includes('churn')).length).toBeLessThanOrEqual(550);
  });
});
