// Every e2e file gets a tmux server of its own (its own TMUX_TMPDIR), kept alive for the whole file by a session that
// runs nothing. Without it, a test that killed the last session of the shared default server and a next test that
// started one at once raced the exiting server: `tmux new-session` failed with "server exited unexpectedly" (seen in
// CI, tests/e2e/ui-tmux.test.ts, between its 100x30 and 80x24 walks).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'nix-btm-tmux-'));
process.env.TMUX_TMPDIR = dir;
delete process.env.TMUX; // inside a tmux, its client would talk to that server instead
const KEEP = 'keepalive'; // no test's session name is a prefix of it (tmux matches -t by prefix)
// Files that use no tmux pay one server start (a few ms); a machine without tmux fails in the tests that need it.
spawnSync('tmux', ['new-session', '-d', '-s', KEEP, '-x', '20', '-y', '5', 'sleep 86400'], { stdio: 'ignore' });

afterAll(() => {
  spawnSync('tmux', ['kill-server'], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
});
