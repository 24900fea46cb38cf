// What a command prints for a terminal: history, stats and replays hold names, hosts and phases from any user's log
// records (or a saved log's), and no control character of theirs may reach the reader's terminal (a title set, the
// cursor hidden, a clipboard write); newlines stay.
import { sanitize } from '../state/text.js';

export const terminalText = (text: string): string => sanitize(text, true);
