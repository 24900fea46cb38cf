// `nix-btm` (no subcommand): the interactive UI, live from the daemon (started when none answers). `--demo` plays a
// recorded real build, and so does a machine without Nix.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { CommandModule } from 'yargs';
import type { FeedStatus } from '../ui/feed.js';
import { recordingController } from '../ui/feed.js';
import { demoRecording, fileRecording, playFeed } from '../ui/demo-feed.js';
import type { RunUiOptions } from '../ui/run-ui.js';
import { clientRuntimeDir, ensureDaemon } from '../daemon/ensure.js';
import { daemonController, daemonFeed } from '../ui/daemon-feed.js';
import { CliError } from './errors.js';
import { fileSource } from '../history/source.js';
import { fleetUi, hostOptions, remoteHosts, type HostArgs } from './hosts-args.js';

type Args = HostArgs & { demo: boolean; speed: number; 'runtime-dir'?: string; history?: string };

export const hasNix = (path = process.env.PATH ?? ''): boolean =>
  path.split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, 'nix-build')));

/** React's development build diffs every prop for its profiler (tens of ms per frame here): load the production one. */
async function runUi(opts: RunUiOptions): Promise<void> {
  process.env.NODE_ENV ??= 'production';
  const { runUi: run } = await import('../ui/run-ui.js');
  await run(opts);
}

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
  builder: (y) => hostOptions(y)
    .option('demo', { type: 'boolean', default: false, describe: 'Play a recorded real Nix build through the dashboard (no Nix needed)' })
    .option('speed', { type: 'number', default: 1, describe: 'Playback speed of --demo' })
    .option('runtime-dir', { type: 'string', describe: "The daemon's runtime dir (a daemon is started there when none answers)" })
    .option('history', { type: 'string', describe: "Read the build history (History view, ETAs) from this database file instead of the daemon's" })
    .example('$0 --demo', 'See every view working on a recorded build') as never,
  handler: async (args) => {
    if (args.demo) return runDemo('recorded real build (nix 2.8, 16 derivations)', args.speed);
    const remotes = remoteHosts(args);
    if (remotes.length > 0 && !args.local) return runUi(fleetUi(remotes, null));
    if (!hasNix() && remotes.length === 0) return runDemo('no Nix found: showing a recorded build', args.speed);
    const runtimeDir = clientRuntimeDir(args['runtime-dir']);
    let startedByUs = false;
    let status: FeedStatus = { kind: 'reconnecting', detail: `connecting to the daemon in ${runtimeDir}…` };
    try {
      startedByUs = (await ensureDaemon(runtimeDir)).startedByUs;
    } catch (err) {
      status = { kind: 'reconnecting', detail: `cannot start a daemon: ${(err as Error).message}` };
    }
    const daemon = daemonController(runtimeDir);
    const controller = args.history ? { ...daemon, history: fileSource(args.history).ask } : daemon;
    const feed = daemonFeed({ runtimeDir, startedByUs });
    await runUi(remotes.length > 0 ? fleetUi(remotes, { feed, controller }) : { feed, status, controller });
  },
};
