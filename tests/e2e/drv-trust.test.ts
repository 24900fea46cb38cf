// A real unprivileged user names hostile "derivations" on a real root daemon's log socket (issue 14: a 60 MB file
// froze the daemon for more than 11 minutes, ignoring SIGTERM; a FIFO would block its read forever). The daemon
// reads only real .drv files of the store: it keeps answering, says why it refused each path, and stops on SIGTERM.
// And a real store .drv over the size limit, made by Nix itself, is refused without being read.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { hello } from '../../src/client/daemon-client.js';
import { MAX_DRV_BYTES } from '../../src/ingest/drv-file.js';
import { alive, closeSocket, logClient, sleep, startDaemon, stopAll, within, write } from './daemon-helpers.js';

const isRoot = process.getuid?.() === 0;
const ATTACKER = 'btm-native-x';
const HASH = 'rxygrf05qp3v9cazgsyv43m30pqzzl2n';

function attacker(): { uid: number; gid: number } {
  try {
    execFileSync('id', [ATTACKER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-M', '-s', '/usr/sbin/nologin', ATTACKER]);
  }
  const id = (flag: string): number => Number(execFileSync('id', [flag, ATTACKER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** As the attacker: a 60 MB ATerm of strings (the old parser's quadratic case) and a FIFO, both named like .drv files. */
const PREPARE = `
const fs = require('node:fs'); const path = require('node:path');
const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'btm-native-x-'));
fs.chmodSync(dir, 0o755);
const big = path.join(dir, '${HASH}-big.drv');
const fd = fs.openSync(big, 'w');
fs.writeSync(fd, 'Derive([');
const chunk = '"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",'.repeat(16384);
for (let n = 0; n < 60 * 1024 * 1024; n += chunk.length) fs.writeSync(fd, chunk);
fs.writeSync(fd, '"a"],[],[],"x","b",[],[])');
fs.closeSync(fd);
const fifo = path.join(dir, '${HASH}-fifo.drv');
require('node:child_process').execFileSync('mkfifo', [fifo]);
process.stdout.write(JSON.stringify({ dir, big, fifo }));
`;

const build = (id: number, drvPath: string): string =>
  `@nix ${JSON.stringify({ action: 'start', fields: [drvPath, '', 1, 1], id, level: 3, text: `building '${drvPath}'`, type: 105 })}\n`;

afterAll(async () => {
  await stopAll();
});

describe.skipIf(!isRoot)('.drv paths named by an unprivileged peer (needs root: creates a user, runs a root daemon)', () => {
  it('refuses every path that is not a real store .drv, keeps answering, and stops on SIGTERM', async () => {
    const as = attacker();
    const made = spawnSync(process.execPath, ['-e', PREPARE], { ...as, encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`attacker set-up failed: ${made.stderr}`);
    const { dir, big, fifo } = JSON.parse(made.stdout) as { dir: string; big: string; fifo: string };
    try {
      const d = await startDaemon({ group: 'nix-users' });
      const claims = [big, fifo, `/nix/store/../${big}`, `/nix/store/${HASH}-absent.drv`, '/etc/shadow', '/nix/store/x.drv'];
      // The attacker's own connection: SO_PEERCRED says it is that user, and nothing it names is trusted.
      const send = spawn(process.execPath, ['-e', `
        const s = require('node:net').connect(${JSON.stringify(d.paths.nixLog)});
        s.on('connect', () => s.end(${JSON.stringify(claims.map((c, i) => build(100 + i, c)).join(''))}));
        s.on('close', () => process.exit(0));`], { ...as, stdio: 'inherit' });
      await within(new Promise((resolve) => send.once('exit', resolve)), 20_000, 'the attacker connection');
      // The collector runs every 250 ms: give it a few rounds, answering hellos all along.
      for (let i = 0; i < 8; i++) {
        await within(hello(d.paths.control, 5000), 6000, 'a hello while the hostile paths are handled');
        await sleep(250);
      }
      const log = d.stderr();
      expect(log).toContain(`cannot read ${big}: not in the store (/nix/store`);
      expect(log).toContain(`cannot read ${fifo}: not in the store (/nix/store`);
      expect(log).toContain(`cannot read /nix/store/../${big}: not in the store (/nix/store`);
      expect(log).toContain(`cannot read /nix/store/${HASH}-absent.drv: cannot read: ENOENT`);
      expect(log).toContain('cannot read /etc/shadow: not in the store (/nix/store');
      expect(log).toContain('cannot read /nix/store/x.drv: not a store derivation name (<hash>-<name>.drv)');
      expect(alive(d.pid)).toBe(true);
      expect(await within(d.stop('SIGTERM'), 10_000, 'SIGTERM')).toEqual({ code: 0, signal: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(isRoot && spawnSync('nix-instantiate', ['--version']).status === 0)('a real store .drv over 4 MiB (made by Nix) is refused unread', async () => {
    const work = mkdtempSync(join(tmpdir(), 'btm-native-big-'));
    try {
      const blob = join(work, 'blob.txt');
      writeFileSync(blob, 'a'.repeat(MAX_DRV_BYTES + 1024));
      const expr = join(work, 'big.nix');
      writeFileSync(expr, `builtins.derivation { name = "btm-native-big"; nonce = "${process.pid}-${Date.now()}"; ` +
        `system = builtins.currentSystem; builder = "/bin/sh"; blob = builtins.readFile ${blob}; }`);
      const drvPath = execFileSync('nix-instantiate', [expr], { encoding: 'utf8' }).trim();
      expect(drvPath).toMatch(/^\/nix\/store\/[0-9a-z]{32}-btm-native-big\.drv$/);
      const d = await startDaemon({ group: 'nix-users' });
      const log = await logClient(d.dir);
      await write(log, build(1, drvPath));
      await closeSocket(log);
      const deadline = Date.now() + 20_000;
      while (!d.stderr().includes(`cannot read ${drvPath}: too big`) && Date.now() < deadline) await sleep(100);
      expect(d.stderr()).toMatch(new RegExp(`cannot read ${drvPath}: too big: \\d+ bytes \\(limit ${MAX_DRV_BYTES}\\)`));
      expect(alive(d.pid)).toBe(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
