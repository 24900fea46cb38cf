// Offloaded builds tied to watched hosts by the machine name Nix itself printed: real captures of Nix 2.8 and Nix
// 2.30.5 offloading with every machine-spec form (tests/fixtures/machines, scripts/capture-machines.sh) are
// reduced by the real decoder and reducer; each build's machine is matched against the hosts as a user would write
// them for --host, a config file or --machines (the capture's own builders value).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aliasesOf, localAliases, remoteHosts } from '../../src/commands/hosts-args.js';
import { isLoopback, matchMachine, parseMachineName } from '../../src/remote/machine-name.js';
import { parseHostUri, parseMachines, uniqueNames } from '../../src/remote/hosts.js';
import { replay, root } from '../helpers.js';

const dir = join(root, 'tests/fixtures/machines');
const NIXES = ['nix-2.8', 'nix-2.30'];
const ME = 'thishost';

/** A fleet as a user would write it with --host: this machine, and three others by the forms they would type. */
const fleetOf = (...uris: string[]) => [
  { name: ME, aliases: localAliases(ME) },
  ...uris.map((u) => { const s = parseHostUri(u)!; return { name: u, aliases: aliasesOf(s) }; }),
];
const FLEET = fleetOf('ssh://nixbtm-test@127.0.0.1', 'nixbtm-test@[::1]', 'ssh://alice@elsewhere:2222');

/** Where each capture's builds went, as its builders value says (the capture's own .spec). */
const EXPECTED: Record<string, Record<string, string>> = {
  'ssh': { 'btm-machines-ssh': 'ssh://nixbtm-test@127.0.0.1' },
  'ssh-ng': { 'btm-machines-ssh-ng': 'ssh://nixbtm-test@127.0.0.1' },
  'bare-user-host': { 'btm-machines-bare-user-host': 'ssh://nixbtm-test@127.0.0.1' },
  // No user: the same host, whoever it logs in as.
  'bare-ip': { 'btm-machines-bare-ip': 'ssh://nixbtm-test@127.0.0.1' },
  'query': { 'btm-machines-query': 'ssh://nixbtm-test@127.0.0.1' },
  // Nix builds on `ssh://localhost` without ssh, on this machine.
  'localhost': { 'btm-machines-localhost': ME },
  'ipv6-bare': { 'btm-machines-ipv6-bare': 'nixbtm-test@[::1]' },
  'ipv6-brackets': { 'btm-machines-ipv6-brackets': 'nixbtm-test@[::1]' },
  'ssh-ng-ipv6': { 'btm-machines-ssh-ng-ipv6': 'nixbtm-test@[::1]' },
  // `nixbtm-test@localhost` is ssh to this machine's loopback: this machine (named so), not the 127.0.0.1 host.
  'machines-file': { 'btm-machines-machines-file-a': ME, 'btm-machines-machines-file-b': 'ssh://nixbtm-test@127.0.0.1' },
  'semicolons': { 'btm-machines-semicolons-a': ME, 'btm-machines-semicolons-b': 'nixbtm-test@[::1]' },
  // Neither Nix builds with a port in the URI (it is handed to ssh as part of the host name): no build, a message.
  'port': {},
  'ssh-ng-port': {},
};

const forms = (nix: string): string[] => readdirSync(join(dir, nix)).filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -6)).sort();
const specOf = (nix: string, form: string): { builders: string; exit: number } => {
  const [builders = '', exit = ''] = readFileSync(join(dir, nix, `${form}.spec`), 'utf8').split('\n');
  return { builders, exit: Number(exit) };
};

describe.each(NIXES)('%s captures', (nix) => {
  it('cover every form', () => {
    expect(forms(nix)).toEqual(Object.keys(EXPECTED).sort());
  });
  describe.each(Object.keys(EXPECTED))('%s', (form) => {
    it('each build’s machine, as Nix named it, is tied to the watched host it ran on', async () => {
      const state = await replay([join(dir, nix, `${form}.jsonl`)]);
      const { builders, exit } = specOf(nix, form);
      const want = EXPECTED[form]!;
      const built = [...state.derivations.values()].filter((d) => d.machine);
      expect(Object.fromEntries(built.map((d) => [d.name, d.status]))).toEqual(Object.fromEntries(Object.keys(want).map((n) => [n, 'built'])));
      expect(exit).toBe(Object.keys(want).length > 0 ? 0 : 1);
      for (const d of built) {
        expect(parseMachineName(d.machine!), d.machine!).not.toBeNull();
        expect(matchMachine(d.machine, FLEET)?.name, `${d.name} on ${d.machine}`).toBe(want[d.name]);
      }
      // The machines of the capture's own builders value (--machines): each build tied to the spec it ran on.
      const text = builders.startsWith('@') ? readFileSync(join(dir, nix, `${form}.machines`), 'utf8') : builders;
      const specs = uniqueNames(parseMachines(text), [ME]);
      const machines = [{ name: ME, aliases: localAliases(ME) }, ...specs.map((s) => ({ name: s.name, aliases: aliasesOf(s) }))];
      for (const d of built) {
        const m = parseMachineName(d.machine!)!;
        const h = matchMachine(d.machine, machines);
        if (m.here) expect(h?.name).toBe(ME);
        else expect(h?.aliases?.some((a) => parseMachineName(a)?.host === m.host), `${d.machine} -> ${h?.name}`).toBe(true);
      }
    });
  });
  it('a machine with a port: Nix says it cannot build there, naming it with the port; the port must agree', async () => {
    for (const form of ['port', 'ssh-ng-port']) {
      const text = readFileSync(join(dir, nix, `${form}.jsonl`), 'utf8');
      const named = /cannot build on '([^']+)'/.exec(text)?.[1];
      expect(named).toBeDefined();
      const m = parseMachineName(named!)!;
      expect(m).toMatchObject({ user: 'nixbtm-test', host: '127.0.0.1' });
      const port = m.port!;
      expect(port).toBeGreaterThan(0);
      expect(matchMachine(named!, fleetOf(`ssh://nixbtm-test@127.0.0.1:${port}`))?.name).toBe(`ssh://nixbtm-test@127.0.0.1:${port}`);
      expect(matchMachine(named!, fleetOf(`ssh://nixbtm-test@127.0.0.1:${port + 1}`, 'ssh://nixbtm-test@127.0.0.2'))?.name).toBe(ME);
    }
  });
});

describe('machine names', () => {
  it('read as Nix and ssh read them', () => {
    expect(parseMachineName('ssh://nixbtm-test@::1')).toEqual({ scheme: 'ssh', user: 'nixbtm-test', host: '::1', port: null, here: false });
    expect(parseMachineName('ssh-ng://[::1]:22')).toEqual({ scheme: 'ssh-ng', user: null, host: '::1', port: 22, here: false });
    expect(parseMachineName('ssh://localhost')).toMatchObject({ here: true });
    expect(parseMachineName('ssh://u@localhost')).toMatchObject({ here: false });
    expect(parseMachineName('b1?remote-store=unix:///x')).toMatchObject({ scheme: 'ssh', host: 'b1' });
    for (const bad of ['', 'local', 'daemon', 'unix:///x', 'file:///x', 'ssh://', 'ssh://-oProxyCommand=x', 'ssh://u@h:port', 'ssh://[::1', 'a b', 'ssh://@h']) {
      if (bad === 'local' || bad === 'daemon') { expect(parseMachineName(bad)?.host, bad).toBe(bad); continue; }
      expect(parseMachineName(bad), bad).toBeNull();
    }
  });
  it('loopback names are one machine; names differing only in case too', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['128.0.0.1', 'localhost.example', '::2']) expect(isLoopback(h), h).toBe(false);
    expect(matchMachine('ssh://Builder1', fleetOf('ssh://alice@builder1'))?.name).toBe('ssh://alice@builder1');
    expect(matchMachine('ssh://builder2', fleetOf('ssh://alice@builder1'))).toBeNull();
    // A remote builder Nix reached as bob is the same machine as the watched alice@builder1; alice's own name wins a tie.
    expect(matchMachine('ssh://bob@builder1', fleetOf('ssh://carol@builder1', 'ssh://alice@builder1'))?.name).toBe('ssh://carol@builder1');
    expect(matchMachine('ssh://alice@builder1', fleetOf('ssh://carol@builder1', 'ssh://alice@builder1'))?.name).toBe('ssh://alice@builder1');
  });
});

describe('--machines with ssh://localhost', () => {
  it('is this machine (watched already), unless --no-local; user@localhost is ssh and is watched', () => {
    const env = { NIX_CONFIG: 'builders = ssh://localhost x86_64-linux ; ssh://nixbtm-test@localhost x86_64-linux', NIX_CONF_DIR: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent', HOME: '/nonexistent' };
    const args = { machines: true, local: true, config: undefined };
    expect(remoteHosts(args, env).map((s) => s.destination)).toEqual(['nixbtm-test@localhost']);
    expect(remoteHosts({ ...args, local: false }, env).map((s) => s.destination)).toEqual(['localhost', 'nixbtm-test@localhost']);
  });
});
