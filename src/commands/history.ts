// `nix-btm history`: past jobs newest first, or one job's derivations (--job ID); tables or --json.
import type { CommandModule } from 'yargs';
import { JOB_SORTS, type DrvSummary, type JobSort, type JobSummary } from '../history/queries.js';
import { DRV_TABLE, JOB_TABLE, table } from '../history/text.js';
import { ask, historySource, sourceArgs, timeArg } from './history-source.js';
import { withOptions } from './history-args.js';
import { CliError } from './errors.js';
import { terminalText } from './terminal-text.js';

type Args = {
  history?: string; 'runtime-dir'?: string; host?: string; config?: string; 'remote-command'?: string; json: boolean; job?: number; user?: string; status?: string; name?: string;
  since?: string; until?: string; sort: string; asc: boolean; limit: number; relays: boolean;
};

export const historyCommand: CommandModule<object, Args> = {
  command: 'history',
  describe: 'Past jobs and their derivations, from the build history',
  builder: (y) => withOptions(y, sourceArgs)
    .option('job', { type: 'number', describe: "One job's derivations (its ID from the list)" })
    .option('user', { type: 'string', describe: 'Only jobs of this user' })
    .option('status', { type: 'string', choices: ['succeeded', 'failed', 'interrupted', 'running'], describe: 'Only jobs with this outcome' })
    .option('name', { type: 'string', describe: 'Only jobs whose command or a derivation name contains this' })
    .option('since', { type: 'string', describe: 'Only jobs started since (2026-01-31, an ISO time, or 90m, 6h, 2d, 1w ago)' })
    .option('until', { type: 'string', describe: 'Only jobs started before' })
    .option('sort', { type: 'string', default: 'started', choices: JOB_SORTS as unknown as string[], describe: 'Sort column' })
    .option('asc', { type: 'boolean', default: false, describe: 'Ascending (default: descending, newest first)' })
    .option('limit', { type: 'number', default: 50, describe: 'Jobs shown' })
    .option('relays', { type: 'boolean', default: false, describe: "Include nix-daemon workers' relays of their clients' builds" })
    .example('$0 history --status failed --since 2d', "Failed jobs of the last two days")
    .example('$0 history --job 12 --json', "One job's derivations as JSON")
    .example('$0 history --host ssh://alice@builder1', "builder1's jobs, asked of its daemon over ssh") as never,
  handler: async (args) => {
    const source = historySource(args);
    try {
      if (args.job !== undefined) {
        const r = (await ask(source, { kind: 'job', id: args.job })) as { job: JobSummary; derivations: DrvSummary[] } | null;
        if (!r) throw new CliError(`no job ${args.job} in the history`, 1);
        if (args.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
        process.stdout.write(terminalText(table([r.job], JOB_TABLE, width()) + '\n' + table(r.derivations, DRV_TABLE, width())));
        return;
      }
      const jobs = (await ask(source, {
        kind: 'jobs', limit: args.limit, user: args.user, status: args.status, name: args.name, since: timeArg('since', args.since),
        until: timeArg('until', args.until), sort: args.sort as JobSort, desc: !args.asc, relays: args.relays,
      })) as JobSummary[];
      if (args.json) { process.stdout.write(JSON.stringify({ jobs }, null, 2) + '\n'); return; }
      const filtered = [args.user, args.status, args.name, args.since, args.until].some((x) => x !== undefined);
      process.stdout.write(terminalText(jobs.length > 0 ? table(jobs, JOB_TABLE, width()) : filtered ? 'no jobs in the history match\n' : 'no jobs in the history (yet)\n'));
    } finally {
      source.close();
    }
  },
};

const width = (): number => process.stdout.columns || 160;
