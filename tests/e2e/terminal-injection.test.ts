// Attack: an unprivileged user writes a build whose derivation path, machine and phase hold terminal escapes (a
// window title, a hidden cursor, a charset switch) into the world-writable log socket; root then reads the history
// with `nix-btm history` and `nix-btm stats`. No control character of the attacker's may reach root's terminal.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ATTACKER, GROUP, attackAs, cleanAttacks, ensureUsers } from './attacker.js';
import { nixBtm, sleep, startDaemon, stopAll } from './daemon-helpers.js';

beforeAll(() => ensureUsers());
afterEach(stopAll);
afterAll(cleanAttacks);

const ESC = '\u001b';
const TITLE = `${ESC}]0;PWNED-TITLE\u0007`;
const HIDE_CURSOR = `${ESC}[?25l`;
const DRV = `/nix/store/${'a'.repeat(32)}-evil${ESC}(0${TITLE}${HIDE_CURSOR}.drv`;

describe('escape sequences in a forged build', () => {
  it('never reach the terminal of root reading the history or the stats', async () => {
    const d = await startDaemon({ refreshMs: 200, group: GROUP });
    const records = [
      { action: 'start', id: 7, level: 3, parent: 0, type: 105, text: `building '${DRV}'`, fields: [DRV, `host${TITLE}`, 1, 1] },
      { action: 'result', id: 7, type: 104, fields: [`build${HIDE_CURSOR}Phase`] },
      { action: 'stop', id: 7 },
    ];
    const attack = attackAs(ATTACKER, { mode: 'lines', path: d.paths.nixLog, chunks: records.map((r) => JSON.stringify(r) + '\n'), readMs: 300 });
    await attack.done;
    // The history writer records the closed job in its own time.
    let list = '';
    for (let i = 0; i < 50 && !list.includes(ATTACKER); i++) {
      await sleep(200);
      list = nixBtm(['history', '--runtime-dir', d.dir, '--user', ATTACKER]).stdout ?? '';
    }
    const id = /^\s*(\d+)\s/m.exec(list.split('\n').slice(1).find((l) => l.includes(ATTACKER)) ?? '')?.[1];
    expect(id).toBeDefined();
    const job = nixBtm(['history', '--runtime-dir', d.dir, '--job', id!]);
    expect(job.code, job.stderr).toBe(0);
    expect(job.stdout).toContain('evil');
    const stats = nixBtm(['stats', '--runtime-dir', d.dir]);
    expect(stats.code, stats.stderr).toBe(0);
    for (const out of [list, job.stdout, stats.stdout]) {
      // eslint-disable-next-line no-control-regex
      expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(out).not.toContain('PWNED-TITLE\u0007');
    }
  });
});
