// `nix-btm stats`: analytics of the build history (slowest, rebuilt, failure rates, time per day, cache hits), or one
// derivation's durations over time (--name); readable tables with text bars, or --json.
import type { CommandModule } from 'yargs';
import type { Stats } from '../history/analytics.js';
import { seconds, sparkline, statsText, textBar, when } from '../history/text.js';
import { ask, historySource, sourceArgs, timeArg } from './history-source.js';
import { withOptions } from './history-args.js';
import { terminalText } from './terminal-text.js';

type Args = { history?: string; 'runtime-dir'?: string; host?: string; config?: string; 'remote-command'?: string; json: boolean; since?: string; limit: number; days: number; name?: string };

export const statsCommand: CommandModule<object, Args> = {
  command: 'stats',
  describe: 'Build analytics from the history: slowest, most rebuilt, failure rates, build time per day, cache hits',
  builder: (y) => withOptions(y, sourceArgs)
    .option('since', { type: 'string', describe: 'Only builds since (2026-01-31, or 6h, 2d, 1w ago)' })
    .option('limit', { type: 'number', default: 10, describe: 'Rows per table' })
    .option('days', { type: 'number', default: 30, describe: 'Days of the per-day chart' })
    .option('name', { type: 'string', describe: "One derivation's (name or pname) build durations over time" }) as never,
  handler: async (args) => {
    const source = historySource(args);
    try {
      if (args.name !== undefined) {
        const points = (await ask(source, { kind: 'series', name: args.name, limit: args.limit > 10 ? args.limit : 60 })) as { at: number; ms: number; host: string }[];
        if (args.json) { process.stdout.write(JSON.stringify({ name: args.name, points }, null, 2) + '\n'); return; }
        const max = Math.max(0, ...points.map((p) => p.ms));
        const lines = points.map((p) => `${when(p.at)} ${textBar(p.ms, max, 40)} ${seconds(p.ms).padStart(7)} ${p.host}`);
        process.stdout.write(terminalText(points.length === 0 ? `no builds of ${args.name} in the history\n` : `${args.name}: ${sparkline(points.map((p) => p.ms))}\n${lines.join('\n')}\n`));
        return;
      }
      const stats = (await ask(source, { kind: 'stats', since: timeArg('since', args.since), limit: args.limit, days: args.days })) as Stats;
      process.stdout.write(args.json ? JSON.stringify(stats, null, 2) + '\n' : terminalText(statsText(stats, process.stdout.columns || 100)));
    } finally {
      source.close();
    }
  },
};
