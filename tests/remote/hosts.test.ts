// Which machines to watch: --host URIs, Nix's machines file and `builders` setting, the config file, ssh's argv.
import { describe, expect, it } from 'vitest';
import { buildersSetting, parseConfig, parseHostUri, parseMachines, shellQuote, sshArgv, uniqueNames } from '../../src/remote/hosts.js';
import { parseMetricsAddress } from '../../src/daemon/metrics-address.js';

describe('parseHostUri', () => {
  it('reads ssh://, ssh-ng://, user@host, ports and Nix store parameters', () => {
    expect(parseHostUri('ssh://alice@builder1:2222')).toMatchObject({ name: 'builder1', destination: 'alice@builder1', port: 2222, command: 'nix-btm' });
    expect(parseHostUri('ssh-ng://builder2')).toMatchObject({ name: 'builder2', destination: 'builder2', port: null });
    expect(parseHostUri('bob@b3')).toMatchObject({ name: 'b3', destination: 'bob@b3' });
    expect(parseHostUri('ssh://nixbtm-test@127.0.0.1?remote-store=unix:///x/s')).toMatchObject({ destination: 'nixbtm-test@127.0.0.1', name: '127.0.0.1' });
    expect(parseHostUri('ssh://[::1]:22')).toMatchObject({ name: '::1', destination: '[::1]', port: 22 });
    // IPv6 without brackets, as both Nixes accept it in a machines file (tests/fixtures/machines): no port then.
    expect(parseHostUri('ssh://nixbtm-test@::1')).toMatchObject({ name: '::1', destination: 'nixbtm-test@[::1]', port: null });
    expect(parseHostUri('ssh-ng://Builder1.example.org')).toMatchObject({ name: 'Builder1.example.org', destination: 'Builder1.example.org' });
  });
  it('refuses what ssh cannot reach or what would be an ssh option', () => {
    for (const bad of ['local', 'auto', 'daemon', 'file:///x', 'https://h', '-oProxyCommand=evil', 'ssh://-oProxyCommand=x', '', 'a b']) {
      expect(parseHostUri(bad), bad).toBeNull();
    }
  });
});

describe('the machines file and the builders setting', () => {
  const files: Record<string, string> = {
    '/etc/nix/machines': '# remote builders\nssh://alice@b1 x86_64-linux /k 8 2 big-parallel\nssh-ng://b2,ssh://b3 aarch64-linux - 4\n\nlocal x86_64-linux\n',
    '/loop': '@/loop\nssh://b4',
  };
  const read = (p: string): string | null => files[p] ?? null;
  it('takes every ssh machine with its max-jobs, following @file', () => {
    const specs = parseMachines('@/etc/nix/machines', read);
    expect(specs.map((s) => [s.destination, s.maxJobs])).toEqual([['alice@b1', 8], ['b2', 4], ['b3', 4]]);
    expect(parseMachines('ssh://x x86_64-linux ; ssh://y', read).map((s) => s.destination)).toEqual(['x', 'y']);
    expect(parseMachines('@/loop', read).map((s) => s.destination)).toEqual(['b4', 'b4', 'b4', 'b4']);
  });
  it('reads `builders` from nix.conf and NIX_CONFIG, the last one winning, else Nix’s default', () => {
    const conf = (text: string) => (p: string) => (p === '/etc/nix/nix.conf' ? text : null);
    expect(buildersSetting({ HOME: '/h' }, conf(''))).toBe('@/etc/nix/machines');
    expect(buildersSetting({ HOME: '/h' }, conf('max-jobs = 1\nbuilders = ssh://a x86_64-linux\n'))).toBe('ssh://a x86_64-linux');
    expect(buildersSetting({ HOME: '/h', NIX_CONFIG: 'builders = ssh://z' }, conf('builders = ssh://a'))).toBe('ssh://z');
  });
});

describe('the config file', () => {
  it('takes strings and objects, and says which entry is wrong', () => {
    const c = parseConfig('{"hosts": ["ssh://a", {"uri": "b", "name": "bee", "command": "/opt/nix-btm", "runtimeDir": "/run/x", "maxJobs": 3}]}', 'cfg');
    expect(c.hosts.map((h) => [h.name, h.destination, h.command, h.runtimeDir, h.maxJobs])).toEqual([['a', 'a', 'nix-btm', null, null], ['bee', 'b', '/opt/nix-btm', '/run/x', 3]]);
    expect(() => parseConfig('{"hosts": [{"name": "x"}]}', 'cfg')).toThrow('cfg: hosts[0] needs a "uri"');
    expect(() => parseConfig('nope', 'cfg')).toThrow(/^cfg: not JSON/);
    expect(() => parseConfig('{"hosts": 5}', 'cfg')).toThrow('cfg: "hosts" is a list');
  });
  it('makes names unique against this machine and each other', () => {
    const specs = [parseHostUri('ssh://a@h')!, parseHostUri('ssh://b@h')!, parseHostUri('me')!];
    expect(uniqueNames(specs, ['me']).map((s) => s.name)).toEqual(['h', 'h#2', 'me#2']);
  });
});

describe('sshArgv', () => {
  it('runs the proxy through the system ssh, with NIX_SSHOPTS, the port and a quoted remote command', () => {
    const spec = { ...parseHostUri('ssh://alice@b1:2222')!, command: '/opt/my nix-btm/bin/nix-btm', runtimeDir: "/run/it's" };
    const argv = sshArgv({ ...spec, command: '/opt/nix-btm/bin/nix-btm' }, { NIX_SSHOPTS: '-F /cfg  -i /k' });
    expect(argv).toEqual(['-T', '-o', 'BatchMode=yes', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3', '-F', '/cfg', '-i', '/k',
      '-p', '2222', '--', 'alice@b1', `/opt/nix-btm/bin/nix-btm proxy --runtime-dir '/run/it'\\''s'`]);
    expect(shellQuote('$(rm -rf /)')).toBe(`'$(rm -rf /)'`);
  });
});

describe('--metrics ADDRESS:PORT', () => {
  it('takes loopback and named addresses, refuses wildcards unless allowed', () => {
    expect(parseMetricsAddress('127.0.0.1:9464', false)).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsAddress('[::1]:9464', false)).toEqual({ host: '::1', port: 9464 });
    for (const any of ['0.0.0.0:9464', '[::]:9464', ':9464']) {
      expect(parseMetricsAddress(any, false)).toHaveProperty('error', expect.stringContaining('--metrics-any-address'));
    }
    expect(parseMetricsAddress('0.0.0.0:9464', true)).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseMetricsAddress('9464', false)).toHaveProperty('error', expect.stringContaining('ADDRESS:PORT'));
    expect(parseMetricsAddress('h:70000', false)).toHaveProperty('error', expect.stringContaining('not 1-65535'));
  });
});
