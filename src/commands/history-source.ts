// Which history a command reads: --history PATH (the file itself), else the daemon's.
import type { Options } from 'yargs';
import { clientRuntimeDir } from '../client/ensure.js';
import { daemonHistory } from '../client/history-client.js';
import { pathsIn } from '../protocol/paths.js';
import type { HistoryQuery } from '../history/protocol.js';
import { fileSource, type HistorySource } from '../history/source.js';
import { parseSince } from '../history/text.js';
import { CliError } from './errors.js';
import { historyHost, hostHistorySource, type HostHistoryArgs } from './history-host.js';

export const sourceArgs: Record<string, Options> = {
  history: { type: 'string', describe: 'Read this history database file instead of asking the daemon' },
  'runtime-dir': { type: 'string', describe: "The daemon's runtime dir" },
  json: { type: 'boolean', default: false, describe: 'Print one JSON document' },
  host: { type: 'string', describe: "Ask another machine's daemon over ssh: ssh://user@host[:port], an ~/.ssh/config alias, or a config file's host name" },
  config: { type: 'string', describe: 'Config file with a "hosts" list, for --host (default ~/.config/nix-btm/config.json)' },
  'remote-command': { type: 'string', describe: 'The nix-btm command on the --host machine (default: nix-btm)' },
};

export function historySource(args: { history?: string; 'runtime-dir'?: string } & HostHistoryArgs): HistorySource {
  if (args.history && args.host) throw new CliError('--history reads a file here, --host asks another machine: give one of them', 2);
  if (args.history) return fileSource(args.history);
  if (args.host) return hostHistorySource(historyHost(args));
  return daemonHistory(pathsIn(clientRuntimeDir(args['runtime-dir'])).control);
}

export async function ask(source: HistorySource, q: HistoryQuery): Promise<unknown> {
  const r = await source.ask(q);
  if (!r.ok) throw new CliError(`history from ${source.where}: ${r.reason}`, 3);
  if (r.historyError) process.stderr.write(`nix-btm: warning: ${r.historyError}\n`);
  return r.result;
}

export function timeArg(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = parseSince(text);
  if (t === null) throw new CliError(`--${name} ${JSON.stringify(text)}: give a time (2026-01-31, an ISO time) or an age (90m, 6h, 2d, 1w)`, 2);
  return t;
}
