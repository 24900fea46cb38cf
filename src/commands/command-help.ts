// Each subcommand as the in-app manual lists it, read from the same CommandModules `--help` and the man page use:
// the builder is run on a recorder (as scripts/gen-man.mjs does) to learn its options without parsing anything.
import type { CommandModule } from 'yargs';
import type { CommandHelp } from '../ui/manual.js';

type Spec = { readonly describe?: string };

export function commandHelp(commands: readonly CommandModule<object, object>[]): CommandHelp[] {
  return commands.map((cmd) => {
    const options: [string, string][] = [];
    const recorder: object = new Proxy({}, {
      get: (_t, name) => (...args: unknown[]) => {
        if (name === 'option' && typeof args[0] === 'string') options.push([args[0], (args[1] as Spec | undefined)?.describe ?? '']);
        return recorder;
      },
    });
    if (typeof cmd.builder === 'function') (cmd.builder as (y: object) => unknown)(recorder);
    const words = String(cmd.command ?? '').replace(/^\$0\s*/, '');
    return { usage: `nix-btm${words ? ` ${words}` : ''}`, describe: String(cmd.describe ?? ''), options };
  });
}
