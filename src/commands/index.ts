// Every subcommand, in the order `--help` lists them.
import type { CommandModule } from 'yargs';
import { daemonCommand } from './daemon.js';
import { replayCommand } from './replay.js';
import { feedCommand, runCommand } from './run.js';
import { statusCommand } from './status.js';
import { uiCommand } from './ui.js';
import { historyCommand } from './history.js';
import { statsCommand } from './stats.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [uiCommand, daemonCommand, runCommand, feedCommand, statusCommand, replayCommand, historyCommand, statsCommand];
