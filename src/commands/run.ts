// `nix-btm run -- nix build ...`, `nix-btm watch` and `nix-btm feed`: a build in the user's terminal as nom shows it
// (src/widget/), while `run` and `feed` stream the internal-json log to the daemon when one runs. Wiring only.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { connectionProblem } from '../client/connection-problem.js';
import { ensureDaemon, clientRuntimeDir } from '../client/ensure.js';
import { daemonHistory } from '../client/history-client.js';
import { pathsIn } from '../protocol/paths.js';
import { defaultHistoryPath } from '../history/paths.js';
import { fileSource, type HistorySource } from '../history/source.js';
import { createDrvReader } from '../ingest/drv-file.js';
import { LineSplitter } from '../ingest/lines.js';
import { createEtaPoll } from '../widget/eta-poll.js';
import { createBuildView, type BuildView, type ViewMode } from '../widget/session.js';
import { CliError } from './errors.js';
import { connectFeed, type LogFeed } from './feed-connection.js';

type ViewArgs = { quiet: boolean; widget: boolean; 'runtime-dir'?: string; history?: string };
type RunArgs = ViewArgs & { command: string[]; daemon: boolean; 'as-is': boolean };

/** Programs that take Nix's common flags (`--log-format`, `-v`): `run` adds them to these only. */
export const NIX_PROGRAMS = ['nix', 'nix-build', 'nix-shell', 'nix-store', 'nix-env', 'nix-instantiate', 'nix-collect-garbage', 'nix-copy-closure'];

const viewOptions = <T>(y: Argv<T>): Argv<T> => y
  .option('quiet', { type: 'boolean', default: false, describe: 'No widget: only Nix\'s errors and the final summary' })
  .option('widget', { type: 'boolean', default: true, describe: 'Draw the live tree on a terminal (--no-widget: plain progress lines)' })
  .option('history', { type: 'string', describe: 'History database for the ETA (default: the daemon\'s, else the usual file)' })
  .option('runtime-dir', { type: 'string', describe: "The daemon's runtime dir" });

function modeOf(args: ViewArgs): ViewMode {
  if (args.quiet) return 'quiet';
  // Like nom in CI logs: no escape codes unless stderr is a terminal that can take them.
  return args.widget && process.stderr.isTTY && process.env.TERM !== 'dumb' ? 'widget' : 'plain';
}

/** The flags `run` adds, or why it will not: other programs do not take Nix's flags. */
export function nixArgv(argv: readonly string[], asIs: boolean): string[] {
  const [program, ...rest] = argv;
  if (!program) throw new CliError('nothing to run: nix-btm run -- nix build ...', 2);
  if (asIs) return [...argv];
  if (!NIX_PROGRAMS.includes(basename(program))) {
    throw new CliError(`'${program}' is not a Nix command (${NIX_PROGRAMS.join(', ')}): run adds --log-format internal-json -v, ` +
      `which other programs do not take. Give the flags yourself and add --as-is (nix-btm run --as-is -- ${argv.join(' ')}), ` +
      'or pipe the log: ... --log-format internal-json -v 2>&1 | nix-btm watch', 2);
  }
  const verbose = rest.some((a) => /^-v+$/.test(a) || a === '--verbose');
  const format = rest.includes('--log-format');
  return [program, ...rest, ...(format ? [] : ['--log-format', 'internal-json']), ...(verbose ? [] : ['-v'])];
}

/**
 * A shell for the user (`nix-shell`, `nix develop`, `nix shell` without a command to run): its prompt and echo go
 * through stderr, which `run` reads line by line for Nix's log, so it cannot be wrapped.
 */
export function isInteractive(argv: readonly string[]): boolean {
  const [program, ...rest] = argv;
  const name = basename(program ?? '');
  const runs = rest.some((a) => a === '--run' || a === '--command' || a === '-c');
  if (name === 'nix-shell') return !runs;
  return name === 'nix' && (rest.includes('develop') || rest.includes('shell')) && !runs;
}

function viewFor(args: ViewArgs, command: string, history: HistorySource | null): BuildView {
  const mode = modeOf(args);
  const reader = createDrvReader();
  return createBuildView({ out: process.stderr, mode, command, readDrv: (p) => reader.read(p), eta: mode === 'widget' ? createEtaPoll(history) : undefined });
}

function historyFor(args: ViewArgs, fed: boolean): HistorySource | null {
  if (args.history) return fileSource(args.history);
  if (fed) return daemonHistory(pathsIn(clientRuntimeDir(args['runtime-dir'])).control, 5000);
  const path = defaultHistoryPath();
  return existsSync(path) ? fileSource(path) : null;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [command..]',
  describe: 'Run a Nix command with a live build tree (and show it in nix-btm, for Nix without json-log-path)',
  builder: (y) => viewOptions(y)
    .positional('command', { type: 'string', array: true, default: [], describe: 'The Nix command, after --' })
    // yargs reads `--no-X` as X = false: an option literally named no-daemon would reject `--no-daemon`.
    .option('daemon', { type: 'boolean', default: true, describe: 'Start a daemon when none answers (--no-daemon: do not)' })
    .option('as-is', { type: 'boolean', default: false, describe: 'Run the command unchanged (it writes the internal-json log itself)' })
    .example('$0 run -- nix-build default.nix', 'Adds --log-format internal-json -v, draws the build, streams the log to the daemon')
    .parserConfiguration({ 'populate--': true }) as never,
  handler: async (args) => {
    const typed = [...args.command, ...(((args as unknown as { '--'?: string[] })['--']) ?? [])];
    const argv = nixArgv(typed, args['as-is']);
    // The job is named by the command as the user typed it: the flags run adds are its own business (noise in WHAT).
    const shown = typed.join(' ');
    const [program, ...rest] = argv as [string, ...string[]];
    if (isInteractive(argv) && !args['as-is']) {
      throw new CliError(`${argv.slice(0, 2).join(' ')} starts an interactive shell, whose prompt goes through the stderr run reads: ` +
        'give it a command (--run / --command ...), or build its environment first (nix-btm run -- nix-build shell.nix)', 2);
    }
    const feed = await openFeed(args['runtime-dir'], !args.daemon, shown);
    // Nix's stdout (the output path) goes through us when it shares the terminal, so it lands above the widget.
    const relay = process.stdout.isTTY && modeOf(args) === 'widget';
    const child = spawn(program, rest, { stdio: ['inherit', relay ? 'pipe' : 'inherit', 'pipe'] });
    feed.setPid(child.pid ?? null);
    const view = viewFor(args, shown, historyFor(args, feed.connected));
    const splitter = new LineSplitter({ line: (l) => { feed.line(l); view.line(l); }, oversize: (head) => { feed.line(head); } });
    child.stderr?.on('data', (c: Buffer) => splitter.push(c));
    child.stdout?.on('data', (c: Buffer) => view.stdout(c, process.stdout));
    // The terminal sends ^C to Nix as well (same process group); a signal sent to us alone is passed on.
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new CliError(`cannot run ${program}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, 127)));
      child.once('close', (c, signal) => resolve(c ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 1)));
    }).catch(async (err: unknown) => { view.end(127); await feed.end(127); throw err; });
    splitter.end();
    view.end(code);
    await feed.end(code);
    process.exitCode = code;
  },
};

export const watchCommand: CommandModule<object, ViewArgs> = {
  command: 'watch',
  describe: 'Show a Nix internal-json log read from stdin as a live build tree (like nom --json)',
  builder: (y) => viewOptions(y)
    .example('nix build ... --log-format internal-json -v 2>&1 | $0 watch', 'Watch a build started elsewhere') as never,
  handler: async (args) => {
    if (process.stdin.isTTY) throw new CliError('watch reads a Nix log from a pipe: nix build ... --log-format internal-json -v 2>&1 | nix-btm watch', 2);
    const view = viewFor(args, 'stdin', historyFor(args, false));
    // ^C reaches the Nix writing the pipe too: its last words and the pipe's end follow; a second ^C stops waiting.
    let interrupts = 0;
    process.on('SIGINT', () => { if (++interrupts > 1) { view.end(null); process.exit(130); } });
    const splitter = new LineSplitter({ line: (l) => view.line(l), oversize: (head) => view.line(head) });
    for await (const chunk of process.stdin) splitter.push(chunk as Buffer);
    splitter.end();
    view.end(null);
  },
};

type FeedArgs = ViewArgs & { 'command-name': string; daemon: boolean };

export const feedCommand: CommandModule<object, FeedArgs> = {
  command: 'feed',
  describe: 'Stream a Nix internal-json log from stdin to the daemon',
  builder: (y) => viewOptions(y)
    .option('command-name', { type: 'string', default: 'stdin', describe: 'What to call this source in the UI' })
    // yargs reads `--no-X` as X = false: an option literally named no-daemon would reject `--no-daemon`.
    .option('daemon', { type: 'boolean', default: true, describe: 'Start a daemon when none answers (--no-daemon: do not)' })
    .example('nix-build --log-format internal-json -v 2>&1 >/dev/null | $0 feed', 'Show a build started elsewhere') as never,
  handler: async (args) => {
    const feed = await openFeed(args['runtime-dir'], !args.daemon, args['command-name']);
    feed.setPid(null);
    const view = viewFor({ ...args, quiet: args.quiet || !process.stderr.isTTY }, args['command-name'], historyFor(args, feed.connected));
    const splitter = new LineSplitter({ line: (l) => { feed.line(l); view.line(l); }, oversize: (head) => feed.line(head) });
    for await (const chunk of process.stdin) splitter.push(chunk as Buffer);
    splitter.end();
    view.end(null);
    await feed.end(null);
  },
};

type OpenedFeed = LogFeed & { readonly connected: boolean };

async function openFeed(dir: string | undefined, noDaemon: boolean, command: string): Promise<OpenedFeed> {
  const runtimeDir = clientRuntimeDir(dir);
  try {
    // A daemon started here has the defaults, not the options of one that ran before: say so, once (--no-daemon: never).
    if (!noDaemon && (await ensureDaemon(runtimeDir)).startedByUs) {
      process.stderr.write(`nix-btm: none answered, so started a daemon: nix-btm daemon --runtime-dir ${runtimeDir} (default options; ` +
        `it keeps running after this build; log ${pathsIn(runtimeDir).logFile})\n`);
    }
    return { ...(await connectFeed(pathsIn(runtimeDir).control, command)), connected: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EACCES' || e.code === 'EPERM' ? connectionProblem(e, pathsIn(runtimeDir).control) : `no daemon (${e.message})`;
    process.stderr.write(`nix-btm: ${why}: this build is not shown in the UI\n`);
    return { line: () => undefined, setPid: () => undefined, end: async () => undefined, connected: false };
  }
}

const signalNumber = (s: NodeJS.Signals): number | undefined => ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 } as Record<string, number>)[s];
