// Which history a command reads: --history PATH (the file itself), else the daemon's.
import type { Options } from 'yargs';
import { clientRuntimeDir } from '../client/ensure.js';
import { daemonHistory } from '../client/history-client.js';
import { pathsIn } from '../protocol/paths.js';
import type { HistoryQuery } from '../history/protocol.js';
import { fileSource, type HistorySource } from '../history/source.js';
import { parseSince } from '../history/text.js';
import { CliError } from './errors.js';

export const sourceArgs: Record<string, Options> = {
  history: { type: 'string', describe: 'Read this history database file instead of asking the daemon' },
  'runtime-dir': { type: 'string', describe: "The daemon's runtime dir" },
  json: { type: 'boolean', default: false, describe: 'Print one JSON document' },
};

export function historySource(args: { history?: string; 'runtime-dir'?: string }): HistorySource {
  if (args.history) return fileSource(args.history);
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
