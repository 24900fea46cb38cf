// `nix-btm run -- nix build ...` and `nix-btm feed`: for Nix without json-log-path. Streams Nix's internal-json log
// to the daemon, keeps the terminal informative (errors and one progress line, like nom), exits with Nix's code.
import { spawn } from 'node:child_process';
import type { CommandModule } from 'yargs';
import { ensureDaemon, clientRuntimeDir } from '../daemon/ensure.js';
import { pathsIn } from '../daemon/paths.js';
import { LineSplitter } from '../ingest/lines.js';
import { CliError } from './errors.js';
import { connectFeed, type Feed } from './feed-connection.js';
import { createTerminalReport } from './terminal-report.js';

type RunArgs = { 'runtime-dir'?: string; command: string[]; daemon: boolean };

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [command..]',
  describe: 'Run a Nix command and show its build in nix-btm (for Nix without json-log-path)',
  builder: (y) => y
    .positional('command', { type: 'string', array: true, default: [], describe: 'The Nix command, after --' })
    .option('runtime-dir', { type: 'string', describe: "The daemon's runtime dir" })
    // yargs reads `--no-X` as X = false: an option literally named no-daemon would reject `--no-daemon`.
    .option('daemon', { type: 'boolean', default: true, describe: 'Start a daemon when none answers (--no-daemon: do not)' })
    .example('$0 run -- nix-build default.nix', 'Adds --log-format internal-json -v and streams the log to the daemon')
    .parserConfiguration({ 'populate--': true }) as never,
  handler: async (args) => {
    const argv = [...args.command, ...(((args as unknown as { '--'?: string[] })['--']) ?? [])];
    const [program, ...rest] = argv;
    if (!program) throw new CliError('nothing to run: nix-btm run -- nix build ...', 2);
    const feed = await openFeed(args['runtime-dir'], !args.daemon, argv.join(' '));
    const child = spawn(program, [...rest, '--log-format', 'internal-json', '-v'], { stdio: ['inherit', 'inherit', 'pipe'] });
    feed.setPid(child.pid ?? null);
    const report = createTerminalReport(process.stderr);
    const splitter = new LineSplitter({
      line: (l) => { feed.line(l); report.line(l); },
      oversize: (head) => { feed.line(head); },
    });
    child.stderr.on('data', (c: Buffer) => splitter.push(c));
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new CliError(`cannot run ${program}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, 127)));
      child.once('close', (c, signal) => resolve(c ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 1)));
    }).catch(async (err: unknown) => { await feed.end(127); throw err; });
    splitter.end();
    report.end(code);
    await feed.end(code);
    process.exitCode = code;
  },
};

type FeedArgs = { 'runtime-dir'?: string; 'command-name': string; daemon: boolean };

export const feedCommand: CommandModule<object, FeedArgs> = {
  command: 'feed',
  describe: 'Stream a Nix internal-json log from stdin to the daemon',
  builder: (y) => y
    .option('runtime-dir', { type: 'string', describe: "The daemon's runtime dir" })
    .option('command-name', { type: 'string', default: 'stdin', describe: 'What to call this source in the UI' })
    // yargs reads `--no-X` as X = false: an option literally named no-daemon would reject `--no-daemon`.
    .option('daemon', { type: 'boolean', default: true, describe: 'Start a daemon when none answers (--no-daemon: do not)' })
    .example('nix-build --log-format internal-json -v 2>&1 >/dev/null | $0 feed', 'Show a build started elsewhere') as never,
  handler: async (args) => {
    const feed = await openFeed(args['runtime-dir'], !args.daemon, args['command-name']);
    feed.setPid(null);
    const report = createTerminalReport(process.stderr);
    const splitter = new LineSplitter({ line: (l) => { feed.line(l); report.line(l); }, oversize: (head) => feed.line(head) });
    for await (const chunk of process.stdin) splitter.push(chunk as Buffer);
    splitter.end();
    report.end(null);
    await feed.end(null);
  },
};

async function openFeed(dir: string | undefined, noDaemon: boolean, command: string): Promise<Feed> {
  const runtimeDir = clientRuntimeDir(dir);
  try {
    if (!noDaemon) await ensureDaemon(runtimeDir);
    return await connectFeed(pathsIn(runtimeDir).control, command);
  } catch (err) {
    process.stderr.write(`nix-btm: no daemon (${(err as Error).message}): this build is not shown in the UI\n`);
    return { line: () => undefined, setPid: () => undefined, end: async () => undefined };
  }
}

const signalNumber = (s: NodeJS.Signals): number | undefined => ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 } as Record<string, number>)[s];
