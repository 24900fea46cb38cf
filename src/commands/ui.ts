// `nix-btm` (no subcommand): the interactive UI, live from the daemon (started when none answers). `--demo` plays a
// recorded real build, and so does a machine without Nix.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { CommandModule } from 'yargs';
import type { FeedStatus } from '../ui/feed.js';
import { recordingController } from '../ui/feed.js';
import { demoRecording, fileRecording, playFeed } from '../feeds/demo-feed.js';
import type { RunUiOptions } from './run-ui.js';
import { clientRuntimeDir, ensureDaemon } from '../client/ensure.js';
import { pathsIn } from '../protocol/paths.js';
import { daemonSession } from '../feeds/daemon-feed.js';
import { atLeast, firstSteps } from '../ui/first-steps.js';
import { manualLines } from '../ui/manual.js';
import { createMeterSampler } from '../ui/meters.js';
import { readNetDev } from '../ingest/net-dev.js';
import { commandHelp } from './command-help.js';
import { connectionProblem } from '../client/connection-problem.js';
import { CliError } from './errors.js';
import { fileSource } from '../history/source.js';
import { fleetUi, hostOptions, remoteHosts, type HostArgs } from './hosts-args.js';

type Args = HostArgs & { demo: boolean; speed: number; 'runtime-dir'?: string; mouse: boolean; 'keep-daemon': boolean; history?: string };

export const hasNix = (path = process.env.PATH ?? ''): boolean =>
  path.split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, 'nix-build')));

/** The manual with every command, read from the same modules as `--help` (imported late: index.ts imports us). */
async function fullManual(): Promise<string[]> {
  const { commands } = await import('./index.js');
  return manualLines(commandHelp(commands));
}

/** React's development build diffs every prop for its profiler (tens of ms per frame here): load the production one. */
async function runUi(opts: RunUiOptions): Promise<void> {
  process.env.NODE_ENV ??= 'production';
  const { runUi: run } = await import('./run-ui.js');
  await run({ ...opts, manual: opts.manual ?? await fullManual() });
}

export async function runDemo(banner: string, speed = 1, mouse = true): Promise<void> {
  let rec;
  try { rec = demoRecording(); } catch (err) { throw new CliError((err as Error).message); }
  await runUi({ feed: playFeed(rec, { kind: 'demo', detail: banner, speed }), controller: recordingController('demo'), mouse });
}

export async function runReplayLive(file: string, ps: string | null, speed = 1): Promise<void> {
  const rec = fileRecording(file, ps, Date.now());
  await runUi({ feed: playFeed(rec, { kind: 'replay', detail: `replay of ${file}`, speed }), controller: recordingController('replay') });
}

const output = (cmd: string, args: string[]): Promise<string | null> => new Promise((resolve) => {
  execFile(cmd, args, { timeout: 5000, encoding: 'utf8' }, (err, stdout) => resolve(err ? null : stdout.trim()));
});

/** This machine's Nix and, from 2.30 on, its json-log-path, for the first screen. */
async function nixSetup(socket: string, runtimeDir: string | null): Promise<string[]> {
  const version = /(\d+\.\d+[^\s]*)\s*$/.exec((await output('nix', ['--version'])) ?? '')?.[1] ?? null;
  const jsonLogPath = version && atLeast(version, 2, 30)
    ? (await output('nix', ['--extra-experimental-features', 'nix-command', 'config', 'show', 'json-log-path'])) ?? ''
    : null;
  return firstSteps({ nixVersion: version, jsonLogPath, socket, runtimeDir });
}

export const uiCommand: CommandModule<object, Args> = {
  command: '$0',
  describe: 'The interactive dashboard: every Nix process, builder, derivation and job on this machine',
  builder: (y) => hostOptions(y)
    .option('demo', { type: 'boolean', default: false, describe: 'Play a recorded real Nix build through the dashboard (no Nix needed)' })
    .option('speed', { type: 'number', default: 1, describe: 'Playback speed of --demo' })
    .option('runtime-dir', { type: 'string', describe: "The daemon's runtime dir (a daemon is started there when none answers)" })
    .option('mouse', { type: 'boolean', default: true, describe: 'Mouse reporting: wheel, clicks on rows, tabs, titles and keys (--no-mouse: off)' })
    .option('keep-daemon', { type: 'boolean', default: false, describe: 'Leave a daemon this UI started running on exit (default: stop it when no one else uses it)' })
    .option('history', { type: 'string', describe: "Read the build history (History view, ETAs) from this database file instead of the daemon's" })
    .example('$0 --demo', 'See every view working on a recorded build') as never,
  handler: async (args) => {
    if (args.demo) return runDemo('recorded real build (nix 2.8, 16 derivations)', args.speed, args.mouse);
    const remotes = remoteHosts(args);
    if (remotes.length > 0 && !args.local) return runUi({ ...fleetUi(remotes, null), mouse: args.mouse });
    if (!hasNix() && remotes.length === 0) return runDemo('no Nix found: showing a recorded build', args.speed, args.mouse);
    const runtimeDir = clientRuntimeDir(args['runtime-dir']);
    let startedByUs = false;
    let status: FeedStatus = { kind: 'reconnecting', detail: `connecting to the daemon in ${runtimeDir}…` };
    try {
      startedByUs = (await ensureDaemon(runtimeDir)).startedByUs;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      status = { kind: 'reconnecting', detail: e.code === 'EACCES' || e.code === 'EPERM'
        ? connectionProblem(e, pathsIn(runtimeDir).control) : `cannot start a daemon: ${e.message}` };
    }
    const session = daemonSession({ runtimeDir, startedByUs, keepDaemon: args['keep-daemon'] });
    const sampler = createMeterSampler(() => readNetDev());
    const steps = await nixSetup(pathsIn(runtimeDir).nixLog, args['runtime-dir'] ?? null);
    try {
      const controller = args.history ? { ...session.controller, history: fileSource(args.history).ask } : session.controller;
      const extra = { mouse: args.mouse, firstSteps: steps, meters: () => sampler.sample(Date.now()) };
      await runUi(remotes.length > 0 ? { ...fleetUi(remotes, { feed: session.feed, controller }), ...extra }
        : { feed: session.feed, controller, status, ...extra });
    } finally {
      const said = await session.finish();
      if (said) process.stderr.write(said + '\n');
    }
  },
};
