// `nix-btm replay FILE... [--json]`: post-mortem of saved internal-json logs, through the same decoder and reducer.
import { accessSync, constants } from 'node:fs';
import type { CommandModule } from 'yargs';
import { replayFiles } from '../ingest/replay.js';
import type { StoreCheckMode } from '../ingest/store-check.js';
import { decideStoreCheck, storeCheckEvents } from '../ingest/store-check.js';
import { defaultLimits } from '../state/model.js';
import type { State } from '../state/model.js';
import { initialState, reduce } from '../state/reducer.js';
import { stateReport } from '../state/report.js';
import { CliError } from './errors.js';
import { summaryTable } from './summary.js';
import { runReplayLive } from './ui.js';
import { terminalText } from './terminal-text.js';

type Args = {
  files: string[]; json: boolean; 'log-lines': number; live: boolean; ps?: string; speed: number; 'store-check': StoreCheckMode;
};

export const replayCommand: CommandModule<object, Args> = {
  command: 'replay <files..>',
  describe: 'Read saved `--log-format internal-json` logs and print what happened to each derivation',
  builder: (y) => y
    .positional('files', { type: 'string', array: true, demandOption: true, describe: 'Saved Nix logs (stderr of nix-build/nix build with --log-format internal-json, or a json-log-path file); each file is its own source' })
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON document instead of a table' })
    .option('log-lines', { type: 'number', default: 10, describe: 'Log lines kept per derivation in --json output' })
    .option('live', { type: 'boolean', default: false, describe: 'Play one log through the interactive dashboard at its recorded pace' })
    .option('ps', { type: 'string', describe: 'With --live: the `ps --forest` capture of the same run (its times set the pace)' })
    .option('speed', { type: 'number', default: 1, describe: 'With --live: playback speed' })
    .option('store-check', { choices: ['auto', 'on', 'off'] as const, default: 'auto' as const, describe: 'Confirm outcomes from this machine’s store (auto: when every drv path in the log exists here)' })
    .example('$0 replay build.log', 'Summarise a saved build')
    .example('nix-build --log-format internal-json -v 2> build.log', 'How to save a log for replay') as never,
  handler: async (args) => {
    for (const file of args.files) {
      try { accessSync(file, constants.R_OK); } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 2);
      }
    }
    if (args.live) {
      if (args.files.length !== 1) throw new CliError('replay --live plays exactly one log', 2);
      return runReplayLive(args.files[0]!, args.ps ?? null, args.speed);
    }
    // Replay reports every derivation: nothing is evicted (the daemon bounds memory, a post-mortem does not).
    let state: State = initialState({ ...defaultLimits, finishedDerivations: Infinity, closedJobs: Infinity });
    const files = await replayFiles(args.files, (event) => { state = reduce(state, event); });
    const check = decideStoreCheck(state, args['store-check']);
    if (check.on) for (const event of storeCheckEvents(state)) state = reduce(state, event);
    if (args.json) {
      const report = stateReport(state, { logTail: args['log-lines'] });
      const storeCheck = { ...check, confirmed: report.derivations.filter((d) => d.confirmed).length,
        inferred: report.derivations.filter((d) => !d.confirmed && d.basis !== null).length };
      process.stdout.write(JSON.stringify({ ...report, storeCheck, files: files.map((f) => ({ path: f.path, ...f.stats })) }, null, 2) + '\n');
    } else {
      process.stdout.write(terminalText(summaryTable(state, process.stdout.columns || 100)));
      process.stdout.write(`store check: ${check.on ? 'on' : 'off'} (${check.why})\n`);
    }
  },
};
