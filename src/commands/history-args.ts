// The daemon's history options: where the database is, whether there is one, how much of it to keep.
import type { Argv, Options } from 'yargs';
import type { HistoryOptions } from '../daemon/history-wiring.js';
import { nomCsvPath } from '../history/nom-import.js';
import { defaultHistoryPath } from '../history/paths.js';
import { defaultRetention } from '../history/retention.js';
import { CliError } from './errors.js';

export type HistoryArgs = {
  history?: string | boolean; 'history-days': number; 'history-max-mib': number; 'import-nom'?: string | boolean;
};

export const historyArgs: Record<string, Options> = {
  history: { type: 'string', describe: 'Build history database (default /var/lib/nix-btm/history.sqlite for root, else $XDG_STATE_HOME/nix-btm/history.sqlite); --no-history keeps none' },
  'history-days': { type: 'number', default: defaultRetention.maxAgeDays, describe: 'Days of history kept' },
  'history-max-mib': { type: 'number', default: defaultRetention.maxBytes / 2 ** 20, describe: 'Largest size of the history, in MiB (the oldest builds go first)' },
  'import-nom': { type: 'string', describe: "nix-output-monitor's build-reports.csv to import at start (default $XDG_STATE_HOME/nix-output-monitor/build-reports.csv when present; --no-import-nom: none)" },
};

export function historyOptions(args: HistoryArgs): HistoryOptions | null {
  if (args.history === false) return null;
  if (!(args['history-days'] > 0) || !(args['history-max-mib'] > 0)) throw new CliError('--history-days and --history-max-mib must be positive', 2);
  const path = typeof args.history === 'string' && args.history !== '' ? args.history : defaultHistoryPath();
  const nomCsv = args['import-nom'] === false ? null : typeof args['import-nom'] === 'string' && args['import-nom'] !== '' ? args['import-nom'] : nomCsvPath();
  return { path, nomCsv, retention: { maxAgeDays: args['history-days'], maxBytes: args['history-max-mib'] * 2 ** 20, everyMs: defaultRetention.everyMs } };
}

/** One .option() per flag (the man page generator records .option calls). */
export function withOptions<T>(y: Argv<T>, specs: Record<string, Options>): Argv<T> {
  let out = y;
  for (const [name, spec] of Object.entries(specs)) out = out.option(name, spec) as Argv<T>;
  return out;
}
