// Every subcommand, in the order `--help` lists them.
import type { CommandModule } from 'yargs';
import { replayCommand } from './replay.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [replayCommand];
