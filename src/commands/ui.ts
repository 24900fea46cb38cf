// `nix-btm` (no subcommand): the interactive UI. `--demo` plays a recorded real build; until the daemon exists,
// a machine without Nix gets the demo and a machine with Nix is told that no daemon is available yet.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { CommandModule } from 'yargs';
import type { Feed, FeedStatus } from '../ui/feed.js';
import { noDaemonController, recordingController } from '../ui/feed.js';
import { demoRecording, fileRecording, playFeed } from '../ui/demo-feed.js';
import { runUi } from '../ui/run-ui.js';
import { CliError } from './errors.js';

type Args = { demo: boolean; speed: number };

export const hasNix = (path = process.env.PATH ?? ''): boolean =>
  path.split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, 'nix-build')));

const idle: Feed = { start: () => () => {} };

export async function runDemo(banner: string, speed = 1): Promise<void> {
  let rec;
  try { rec = demoRecording(); } catch (err) { throw new CliError((err as Error).message); }
  await runUi({ feed: playFeed(rec, { kind: 'demo', detail: banner, speed }), controller: recordingController('demo') });
}

export async function runReplayLive(file: string, ps: string | null, speed = 1): Promise<void> {
  const rec = fileRecording(file, ps, Date.now());
  await runUi({ feed: playFeed(rec, { kind: 'replay', detail: `replay of ${file}`, speed }), controller: recordingController('replay') });
}

export const uiCommand: CommandModule<object, Args> = {
  command: '$0',
  describe: 'The interactive dashboard: every Nix process, builder, derivation and job on this machine',
  builder: (y) => y
    .option('demo', { type: 'boolean', default: false, describe: 'Play a recorded real Nix build through the dashboard (no Nix needed)' })
    .option('speed', { type: 'number', default: 1, describe: 'Playback speed of --demo' })
    .example('$0 --demo', 'See every view working on a recorded build') as never,
  handler: async (args) => {
    if (args.demo) return runDemo('recorded real build (nix 2.8, 16 derivations)', args.speed);
    if (!hasNix()) return runDemo('no Nix found: showing a recorded build', args.speed);
    const status: FeedStatus = { kind: 'none', detail: 'no nix-btm daemon available yet: nothing live to show; try `nix-btm --demo`' };
    await runUi({ feed: idle, controller: noDaemonController, status });
  },
};
