// `--host`, `--machines` and the config file's `hosts`: the machines a UI watches besides this one.
import { hostname } from 'node:os';
import type { Argv } from 'yargs';
import { buildersSetting, defaultConfigPath, parseHostUri, parseMachines, readConfig, uniqueNames, type HostSpec } from '../remote/hosts.js';
import { createFleetStore } from '../ui/fleet-store.js';
import { fleet } from '../feeds/fleet-feed.js';
import type { Controller, Feed } from '../ui/feed.js';
import type { RunUiOptions } from './run-ui.js';
import { CliError } from './errors.js';

export type HostArgs = { host?: string[]; machines: boolean; config?: string; local: boolean; 'remote-command'?: string };

export const hostOptions = <T>(y: Argv<T>): Argv<T> => y
  .option('host', { type: 'string', array: true, describe: 'Also watch this machine over ssh: ssh://user@host[:port] or an ~/.ssh/config alias (repeatable)' })
  .option('machines', { type: 'boolean', default: false, describe: "Also watch Nix's remote builders (the `builders` setting, /etc/nix/machines)" })
  .option('config', { type: 'string', describe: 'Config file with a "hosts" list (default ~/.config/nix-btm/config.json)' })
  .option('local', { type: 'boolean', default: true, describe: 'Watch this machine too when --host is given (--no-local: only the remote ones)' })
  .option('remote-command', { type: 'string', describe: 'The nix-btm command on the remote machines (default: nix-btm)' }) as never;

/** Every watched remote host, in the order given; duplicates of one destination are kept once. */
export function remoteHosts(args: HostArgs, env: NodeJS.ProcessEnv = process.env): HostSpec[] {
  const specs: HostSpec[] = [];
  for (const uri of args.host ?? []) {
    const spec = parseHostUri(uri);
    if (!spec) throw new CliError(`--host ${uri}: not a machine ssh can reach (ssh://user@host[:port], host, user@host)`, 2);
    specs.push(spec);
  }
  try {
    specs.push(...readConfig(args.config ?? defaultConfigPath(env), args.config !== undefined).hosts);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  // `ssh://localhost` in Nix's builders is this machine without ssh: watched already, unless --no-local.
  if (args.machines) specs.push(...parseMachines(buildersSetting(env)).filter((s) => !(args.local && s.destination === 'localhost')));
  const seen = new Set<string>();
  const unique = specs.filter((s) => { const k = `${s.destination}:${s.port ?? ''}`; if (seen.has(k)) return false; seen.add(k); return true; });
  return unique.map((s) => (args['remote-command'] && s.command === 'nix-btm' ? { ...s, command: args['remote-command'] } : s));
}

/** The UI's options for a fleet: this machine (through `local`) and every remote host in one store. */
export function fleetUi(remotes: readonly HostSpec[], local: { feed: Feed; controller: Controller } | null): RunUiOptions {
  const localName = hostname();
  const named = uniqueNames(remotes, local ? [localName] : []);
  const store = createFleetStore([...(local ? [{ name: localName, maxJobs: null, aliases: localAliases(localName) }] : []), ...named.map((s) => ({ name: s.name, maxJobs: s.maxJobs, aliases: aliasesOf(s) }))],
    { status: { kind: 'connected', detail: `${named.length + (local ? 1 : 0)} hosts` } });
  const f = fleet({ remotes: named, local: local ? { name: localName, ...local } : null });
  return { feed: { start: () => f.start(store) }, store, controller: f.controller };
}

/** `user@host` (with its port) and `host`, as Nix's machines file would name it (`ssh://user@host`). */
export const aliasesOf = (s: HostSpec): string[] => {
  const port = s.port !== null ? `:${s.port}` : '';
  return [`${s.destination}${port}`, `${s.destination.replace(/^[^@]*@/, '')}${port}`];
};

/** This machine: its host name, and `localhost`, which Nix builds on without ssh (`ssh://localhost`). */
export const localAliases = (name: string): string[] => [name, 'localhost'];
