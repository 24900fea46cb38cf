// `nix-btm --config FILE` with a `hosts` list, in a real terminal (tmux): this machine's daemon and a second one
// reached over the test's sshd (the system ssh, its config through NIX_SSHOPTS). A real Nix 2.8 build on the remote
// shows in the Jobs view with its HOST; the header's per-host line says when the host is unreachable and when it is
// back; q restores the terminal.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startDaemon, startRun, stopAll } from './daemon-helpers.js';
import { nixAvailable, nonce, tinyExprSource, writeExpr } from './nix-harness.js';
import { HOSTS_GROUP, ensureHostUsers, removeSshd, startSshd, type Sshd } from './ssh-harness.js';
import { tmuxScreen } from './tmux-screen.js';

const U = 'btm-hosts-u';
const SESSION = `nix-btm-hosts-${process.pid}`;
let sshd: Sshd;
let dir: string;

const { tmux, screen, waitScreen, end: endSession } = tmuxScreen(SESSION);

beforeAll(async () => {
  nixAvailable();
  ensureHostUsers(U);
  sshd = await startSshd([U]);
  dir = mkdtempSync(join(tmpdir(), 'btm-hosts-tmux-'));
  chmodSync(dir, 0o755);
});
afterEach(async () => { endSession(); await stopAll(); });
afterAll(async () => {
  if (sshd) { await sshd.stop(); removeSshd(sshd); }
  rmSync(dir, { recursive: true, force: true });
});

describe('nix-btm with a hosts list, in tmux', () => {
  it('shows the remote build with its HOST, the host going unreachable and coming back', async () => {
    const local = await startDaemon({ refreshMs: 500 });
    const remote = await startDaemon({ group: HOSTS_GROUP, refreshMs: 500 });
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ hosts: [{ uri: `ssh://${U}`, name: 'far', command: `${process.execPath} ${BIN}`, runtimeDir: remote.dir, maxJobs: 3 }] }));
    tmux('new-session', '-d', '-s', SESSION, '-x', '150', '-y', '30', 'env -u CI PS1="READY$ " bash --norc --noprofile');
    tmux('send-keys', '-t', SESSION, `NIX_SSHOPTS='-F ${sshd.clientConfig}' ${process.execPath} ${BIN} --runtime-dir ${local.dir} --config ${config}`, 'Enter');
    await waitScreen(/far ⏵0\/3 cpu \d+% mem \d+% disk \S+/);
    expect(screen()).toMatch(new RegExp(`^${hostname()} ⏵\\d+/\\d+ cpu`, 'm'));
    tmux('send-keys', '-t', SESSION, '4');
    const expr = writeExpr(join(dir, 'remote'), tinyExprSource('btm-hosts-tmux-remote', 1));
    const r = startRun(remote.dir, ['nix-build', expr, '--argstr', 'nonce', nonce(), '--no-out-link'], { user: U });
    expect((await r.done).code).toBe(0);
    // The job ends a moment after its last build: wait for both on one screen.
    let s = await waitScreen((x) => /✔ btm-hosts-tmux-remote +far\s*$/m.test(x) && / btm-h(?:…|osts-u) +succeeded .* far\s*$/m.test(x),
      30_000, 'the far build built and its job succeeded');
    expect(s).toMatch(/ WHAT +HOST /);
    await sshd.stop();
    s = await waitScreen(/far unreachable: .*\(retry in \d+ s\)/);
    // The last state stays on screen while the host is away.
    expect(s).toMatch(/✔ btm-hosts-tmux-remote +far/);
    await sshd.start();
    await waitScreen(/far ⏵0\/3 cpu/, 60_000);
    tmux('send-keys', '-t', SESSION, 'q');
    s = await waitScreen(/^READY\$\s*$/m, 10_000);
    expect(s).not.toMatch(/far ⏵/);
  });

  it('--machines --no-local: the builders setting names the host, its max-jobs the slots', async () => {
    const remote = await startDaemon({ group: HOSTS_GROUP, refreshMs: 500 });
    tmux('new-session', '-d', '-s', SESSION, '-x', '150', '-y', '30', 'env -u CI PS1="READY$ " bash --norc --noprofile');
    tmux('send-keys', '-t', SESSION, `XDG_CONFIG_HOME=${join(dir, 'xdg')} NIX_CONFIG='builders = ssh://${U} x86_64-linux - 2' NIX_SSHOPTS='-F ${sshd.clientConfig}' ${process.execPath} ${BIN} `
      + `--machines --no-local --remote-command 'env NIX_BTM_RUNTIME_DIR=${remote.dir} ${process.execPath} ${BIN}'`, 'Enter');
    const s = await waitScreen(new RegExp(`^${U} ⏵0/2 cpu \\d+% mem`, 'm'));
    expect(s).not.toContain(`${hostname()} ⏵`);
    tmux('send-keys', '-t', SESSION, 'q');
    await waitScreen(/^READY\$\s*$/m, 10_000);
  });
});
