// The header's per-host line with four hosts (this machine, two over the test's sshd, one unreachable) in a real
// terminal (tmux) resized from 40x12 to 250x70: at every size the line is one screen row, each host whole with one
// of its own forms (never cut in the middle), the hosts in order, `+N` for any left out; nothing wraps.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startDaemon, stopAll } from './daemon-helpers.js';
import { nixAvailable } from './nix-harness.js';
import { HOSTS_GROUP, ensureHostUsers, removeSshd, startSshd, type Sshd } from './ssh-harness.js';
import { tmuxScreen } from './tmux-screen.js';

const U = 'btm-histhosts-u';
const SESSION = `nix-btm-hosthdr-${process.pid}`;
let sshd: Sshd;
let dir: string;

const { tmux, waitScreen, end: endSession } = tmuxScreen(SESSION);

beforeAll(async () => {
  nixAvailable();
  ensureHostUsers(U);
  sshd = await startSshd([U]);
  dir = mkdtempSync(join(tmpdir(), 'btm-hosthdr-'));
  chmodSync(dir, 0o755);
});
afterEach(async () => { endSession(); await stopAll(); });
afterAll(async () => {
  if (sshd) { await sshd.stop(); removeSshd(sshd); }
  rmSync(dir, { recursive: true, force: true });
});

const SIZES: readonly [number, number][] = [[40, 12], [50, 14], [64, 16], [80, 24], [100, 30], [132, 40], [160, 50], [200, 60], [250, 70]];

describe('the per-host header line in tmux', () => {
  it('four hosts, whole entries at every size from 40x12 to 250x70', async () => {
    const local = await startDaemon({ refreshMs: 500 });
    const remote = await startDaemon({ group: HOSTS_GROUP, refreshMs: 500 });
    const config = join(dir, 'config.json');
    const entry = (uri: string, name: string) => ({ uri, name, command: `${process.execPath} ${BIN}`, runtimeDir: remote.dir, maxJobs: 2 });
    // 127.0.0.9: no sshd listens there (the test's listens on 127.0.0.1 only), so that host is unreachable.
    writeFileSync(config, JSON.stringify({ hosts: [entry(`ssh://${U}`, 'far'), entry(`ssh://${U}@127.0.0.1`, 'near'), entry(`ssh://${U}@127.0.0.9`, 'gone')] }));
    tmux('new-session', '-d', '-s', SESSION, '-x', '250', '-y', '70', 'env -u CI PS1="READY$ " bash --norc --noprofile');
    tmux('send-keys', '-t', SESSION, `NIX_SSHOPTS='-F ${sshd.clientConfig} -o ConnectTimeout=2' ${process.execPath} ${BIN} --runtime-dir ${local.dir} --config ${config}`, 'Enter');
    const me = hostname();
    const names = [me, 'far', 'near', 'gone'];
    await waitScreen((s) => /far ⏵0\/2 cpu/.test(s) && /near ⏵0\/2 cpu/.test(s) && /gone unreachable/.test(s), 60_000, 'both reachable hosts live and gone unreachable');
    for (const [x, y] of SIZES) {
      tmux('resize-window', '-t', SESSION, '-x', String(x), '-y', String(y));
      // The frame after the resize: line 1 is the header's first line at the new width, the footer on the last row.
      const s = await waitScreen((t) => {
        const l = t.split('\n');
        return l[0]!.startsWith('nix-btm') && l.length >= y && /q quit/.test(l[y - 2] ?? '') && l[2]!.startsWith(me);
      }, undefined, `the ${x}x${y} frame`);
      const lines = s.split('\n');
      if (process.env.BTM_SHOW) console.log(`${x}x${y}\n${s}`);
      for (const l of lines) expect([...l].length, `${x}x${y}: ${l}`).toBeLessThanOrEqual(x);
      const line = lines[2]!.trimEnd();
      const parts = line.includes(' │ ') ? line.split(' │ ') : line.split('│');
      const more = /^\+(\d+)$/.exec(parts[parts.length - 1]!);
      const entries = more ? parts.slice(0, -1) : parts;
      expect(entries.length + (more ? Number(more[1]) : 0), `${x}x${y}: ${line}`).toBe(names.length);
      entries.forEach((e, i) => {
        // Each entry is its host's, whole: the name, then its load (⏵running/slots and figures) or its state.
        expect(e, `${x}x${y}: ${line}`).toMatch(new RegExp(`^${names[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (⏵\\d+/[\\d?]+( cpu \\d+%( mem \\d+%( disk \\S+)?)?)?|unreachable(: .+)?|✘|connecting(: .+)?|…)$`));
      });
      // The line below is the tabs line, whole: nothing of the host line wrapped onto it.
      expect(lines[3], `${x}x${y}`).toMatch(/^ 1 Process/);
    }
    tmux('send-keys', '-t', SESSION, 'q');
    await waitScreen((s) => /^READY\$\s*$/m.test(s), 10_000, 'the shell back');
  });
});
