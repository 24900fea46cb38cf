// Argument parsing and wiring only: each subcommand lives in src/commands/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { packageRoot } from './addon/package-root.js';
import { commands } from './commands/index.js';
import { CliError } from './commands/errors.js';
import { quietOnClosedPipe } from './commands/quiet-pipe.js';

/** yargs would read the package.json nearest the bin symlink, which is not ours once installed by npm. */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[]): Promise<void> {
  quietOnClosedPipe();
  const parser = yargs(argv)
    .scriptName('nix-btm')
    .usage('nix-btm: htop for Nix. Every Nix build on this machine, live.\n\nUsage: $0 [command] [options]')
    .strict()
    .recommendCommands()
    .demandCommand(0)
    .help()
    .alias('h', 'help')
    .version(packageVersion())
    .alias('V', 'version')
    .wrap(Math.min(100, process.stdout.columns || 80))
    .fail((msg, err, y) => {
      if (err) throw err;
      void y;
      process.stderr.write(`nix-btm: ${msg}\nRun 'nix-btm --help' for usage.\n`);
      process.exit(2);
    });
  for (const command of commands) parser.command(command);
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`nix-btm: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    throw err;
  }
}
