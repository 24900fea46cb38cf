import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../../src/state/events.js';
import { makeUserDb, createUserDbSource } from '../../src/ingest/build-users.js';
import { classifyForest, type ForestProc } from '../../src/ingest/proc-forest.js';
import { createProcScanner } from '../../src/ingest/proc-scan.js';
import { killAll, readCapture, start, uidOf, until, which } from './proc-helpers.js';
import { asRoot } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'btm-forest-'));
afterEach(killAll);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One `=== ...` block of the real `ps --forest` capture as classifier input (nixbldN -> uid 30000+N). */
function psBlock(containing: string): ForestProc[] {
  const blocks = readCapture('ps-daemon-root-dag-success.txt').split(/^=== .*$/m);
  const block = blocks.find((b) => b.includes(containing)) ?? '';
  const procs: ForestProc[] = [];
  for (const line of block.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+\S+\s+\d+\s+\S+\s+[\s|\\_]*(.*)$/.exec(line);
    if (!m) continue;
    const [, pid, ppid, user, args] = m;
    const argv = (args ?? '').split(' ');
    const uid = user?.startsWith('nixbld') ? 30000 + Number(user.slice(6)) : 0;
    procs.push({ pid: Number(pid), ppid: Number(ppid), sid: 0, uid, argv,
      comm: (argv[0] ?? '').slice((argv[0] ?? '').lastIndexOf('/') + 1).slice(0, 15) });
  }
  return procs;
}

describe('classifyForest on the real Nix 2.8 daemon capture', () => {
  const procs = psBlock('16256 16255 nixbld3');
  const marks = { isBuildUid: (uid: number) => uid > 30000, cgroupPids: new Set<number>() };

  it('names the daemon, its worker, the client, each builder and the builders\' children', () => {
    const roles = Object.fromEntries([...classifyForest(procs, marks, false)].map(([pid, p]) => [pid, p]));
    expect(roles[15810]).toEqual({ role: 'nix-daemon', builderPid: null, inForest: true });
    expect(roles[16146]).toEqual({ role: 'daemon-worker', builderPid: null, inForest: true });
    expect(roles[16115]).toEqual({ role: 'client', builderPid: null, inForest: true });
    for (const b of [16231, 16239, 16247, 16259]) expect(roles[b]).toEqual({ role: 'builder', builderPid: b, inForest: true });
    expect(roles[16255]).toEqual({ role: 'builder-child', builderPid: 16247, inForest: true });
    expect(roles[16256]).toEqual({ role: 'builder-child', builderPid: 16247, inForest: true });
    expect(Object.keys(roles).sort()).toEqual(
      ['15810', '16115', '16146', '16231', '16239', '16247', '16255', '16256', '16259']);
  });

  it('lists the rest as other with all', () => {
    const all = classifyForest(procs, marks, true);
    expect(all.size).toBe(procs.length);
    expect(all.get(1)).toEqual({ role: 'other', builderPid: null, inForest: false });
    expect(all.get(16106)).toEqual({ role: 'other', builderPid: null, inForest: false });
  });

  it('finds the builder without build users: the session leader a client or worker started', () => {
    const noUsers = { isBuildUid: () => false, cgroupPids: new Set<number>() };
    const asCaller = procs.map((p) => (p.uid > 30000 ? { ...p, uid: 0, sid: p.ppid === 16146 ? p.pid : 16247 } : p));
    const roles = classifyForest(asCaller, noUsers, false);
    expect(roles.get(16231)?.role).toBe('builder');
    expect(roles.get(16256)).toEqual({ role: 'builder-child', builderPid: 16247, inForest: true });
  });

  it('takes `nix daemon` for a daemon, `nix-btm run` children for clients, and survives a ppid cycle', () => {
    const roles = classifyForest([
      { pid: 10, ppid: 1, sid: 10, uid: 0, comm: 'nix', argv: ['nix', 'daemon'] },
      { pid: 11, ppid: 10, sid: 10, uid: 0, comm: 'nix', argv: ['nix', 'daemon'] },
      { pid: 20, ppid: 1, sid: 20, uid: 1000, comm: 'node', argv: ['node', '/usr/bin/nix-btm', 'run', 'make'] },
      { pid: 21, ppid: 20, sid: 20, uid: 1000, comm: 'make', argv: ['make'] },
      { pid: 30, ppid: 31, sid: 30, uid: 0, comm: 'a', argv: null },
      { pid: 31, ppid: 30, sid: 30, uid: 0, comm: 'b', argv: null },
    ], { isBuildUid: () => false, cgroupPids: new Set() }, true);
    expect(roles.get(10)?.role).toBe('nix-daemon');
    expect(roles.get(11)?.role).toBe('daemon-worker');
    expect(roles.get(21)?.role).toBe('client');
    expect(roles.get(20)?.inForest).toBe(false);
    expect(roles.get(30)?.role).toBe('other');
  });
});

describe('build users', () => {
  it('reads the group members, primary-group users and the auto-allocate range', () => {
    const db = makeUserDb('build-users-group = bld # comment\nstart-id = 500000\nid-count = 10\n',
      'root:x:0:0::/root:/bin/sh\nb1:x:101:100::/:/bin/false\nb2:x:102:5::/:/bin/false\nother:x:103:5::/:/bin/sh\n',
      'bld:x:100:\nwheel:x:5:b2\nbld2:x:7:other\n');
    expect([...db.buildUids].sort()).toEqual([101]);
    expect(db.isBuildUid(500_009)).toBe(true);
    expect(db.isBuildUid(500_010)).toBe(false);
    expect(db.userName(103)).toBe('other');
    expect(db.userName(4242)).toBe('4242');
    expect(makeUserDb('', '', '').autoRange).toEqual([872_415_232, 872_415_232 + 8_388_608]);
    expect(makeUserDb('build-users-group =', 'x:x:1:1::/:/\n', 'nixbld:x:1:x\n').buildUids.size).toBe(0);
  });

  it('re-reads the files when one changes', () => {
    const conf = join(tmp, 'nix.conf');
    const passwd = join(tmp, 'passwd');
    const group = join(tmp, 'group');
    writeFileSync(conf, 'build-users-group = nixbld\n');
    writeFileSync(passwd, 'nixbld1:x:30001:30000::/:/bin/false\n');
    writeFileSync(group, 'nixbld:x:30000:nixbld1\n');
    const source = createUserDbSource({ nixConf: conf, passwd, group });
    expect(source().isBuildUid(30001)).toBe(true);
    writeFileSync(passwd, 'nixbld1:x:30001:30000::/:/bin/false\nnixbld2:x:30002:30000::/:/bin/false\n');
    utimesSync(passwd, new Date(), new Date(Date.now() + 5000));
    expect(source().userName(30002)).toBe('nixbld2');
    expect(createUserDbSource({ nixConf: join(tmp, 'absent'), passwd: join(tmp, 'absent'), group })().buildGroup)
      .toBe('nixbld');
  });
});

const builder = uidOf('nixbld8');
const find = (list: readonly ProcessInfo[], pid: number | undefined) => list.find((p) => p.pid === pid);

describe('the forest on real processes', () => {
  it.runIf(builder !== null && asRoot('the forest marks build users: runs a process as a nixbld user'))('marks a real build-user process as builder, its children as builder-child', async () => {
    const env = { PATH: '/usr/bin:/bin', NIX_BUILD_TOP: '/tmp/nix-build-probe-1.0.drv-0', name: 'probe-1.0',
      out: '/nix/store/00000000000000000000000000000000-probe-1.0' };
    const sh = start('sh', ['-c', 'sleep 30 & wait'], { uid: builder?.uid, gid: builder?.gid, env });
    const drvPath = '/nix/store/11111111111111111111111111111111-probe-1.0.drv';
    const scanner = createProcScanner({ nixVersion: null,
      drvCandidates: () => [{ drvPath, outputs: { out: env.out }, name: 'probe-1.0' }] });
    const child = await until(() => scanner.scan(Date.now()).processes.find((p) => p.ppid === sh.pid));
    const list = scanner.scan(Date.now()).processes;
    expect(find(list, sh.pid)).toMatchObject({ role: 'builder', user: 'nixbld8', uid: builder?.uid, drvPath });
    expect(child).toMatchObject({ role: 'builder-child', user: 'nixbld8', drvPath, command: 'sleep 30' });
    expect(scanner.environ(child?.pid ?? 0)?.get('NIX_BUILD_TOP')).toBe(env.NIX_BUILD_TOP);
    expect(find(list, process.pid)).toBeUndefined();
  });

  it.runIf(which('nix-store'))('counts members of a nix-build cgroup as builders (a cgroup v2 tree laid out as Nix makes it)', async () => {
    const root = join(tmp, 'cgroup');
    const sleeper = start('sleep', ['30']);
    // A real Nix client to anchor the search: build cgroups are looked for beside Nix processes' own cgroups.
    start('nix-store', ['--serve'], { stdio: ['pipe', 'ignore', 'ignore'] });
    mkdirSync(join(root, 'nix-build-uid-872415232'), { recursive: true });
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory pids\n');
    writeFileSync(join(root, 'nix-build-uid-872415232', 'cgroup.procs'), `${sleeper.pid}\n`);
    const scanner = createProcScanner({ nixVersion: null, cgroupBase: root });
    const seen = await until(() => find(scanner.scan(Date.now()).processes, sleeper.pid));
    expect(seen).toMatchObject({ role: 'builder', uid: process.getuid?.() });
  });
});
