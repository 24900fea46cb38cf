// Argument parsing and wiring only: each subcommand lives in src/commands/.
import yargs from 'yargs';
import { commands } from './commands/index.js';
import { CliError } from './commands/errors.js';

export async function main(argv: string[]): Promise<void> {
  const parser = yargs(argv)
    .scriptName('nix-btm')
    .usage('nix-btm: htop for Nix. Every Nix build on this machine, live.\n\nUsage: $0 [command] [options]')
    .strict()
    .recommendCommands()
    .demandCommand(0)
    .help()
    .alias('h', 'help')
    .version()
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
