// The one table of keys: the footer, the manual, the man page and the handlers all read it, so they never disagree.

export type ViewId = 'process' | 'builder' | 'eagle' | 'jobs' | 'history';

export const VIEWS: readonly { readonly id: ViewId; readonly title: string; readonly help: string }[] = [
  { id: 'process', title: 'Process', help: 'the Nix process forest: daemon, workers, clients, builders and their children' },
  { id: 'builder', title: 'Builder', help: 'one row per active builder: derivation, phase, elapsed, processes, CPU, memory, last log line' },
  { id: 'eagle', title: 'Eagle Eye', help: 'every target of every client as a tree of derivations with their status' },
  { id: 'jobs', title: 'Jobs', help: "every job (a client's request) and every build and transfer in it" },
  { id: 'history', title: 'History', help: 'past jobs from the build history, their derivations, and analytics' },
];

/**
 * Tabs as drawn: " 1 Process " each; when they, the mode (a filter) and the row position do not all fit, only the
 * numbers and the current title, so the mode stays readable (at least 12 columns are kept for it either way).
 */
export function tabLabels(view: ViewId, width: number, mode = '', position = ''): string[] {
  const full = VIEWS.map((v, i) => ` ${i + 1} ${v.title} `);
  const rest = Math.max(12, mode.length + 1 + (position === '' ? 0 : position.length + 1));
  if (full.join('').length + rest <= width) return full;
  return VIEWS.map((v, i) => (v.id === view ? ` ${i + 1} ${v.title} ` : ` ${i + 1} `));
}

export type ActionId =
  | 'quit' | 'manual' | 'next-view' | 'prev-view' | 'view-process' | 'view-builder' | 'view-eagle' | 'view-jobs' | 'view-history'
  | 'pause' | 'filter' | 'up' | 'down' | 'page-up' | 'page-down' | 'home' | 'end' | 'sort' | 'reverse'
  | 'tree' | 'all' | 'follow' | 'expand' | 'collapse' | 'toggle' | 'mode' | 'copy' | 'detail' | 'kill' | 'freeze' | 'close'
  | 'search' | 'search-next' | 'search-prev' | 'sort-prev' | 'sort-pick'
  // issue 15 (widget pane): Eagle Eye's build pane
  | 'widget';

/** Where a key works: everywhere, in every list, or in the views named. */
export type Scope = 'global' | 'list' | readonly ViewId[];

export type Binding = {
  readonly action: ActionId;
  /** Key names as decodeKey returns them. */
  readonly keys: readonly string[];
  /** One word for the footer; empty: not in the footer. */
  readonly label: string;
  /** One line for the manual. */
  readonly help: string;
  readonly scope: Scope;
};

export const KEYMAP: readonly Binding[] = [
  { action: 'quit', keys: ['q', 'f10', 'ctrl-c'], label: 'quit', help: 'quit (the terminal is restored); in the manual: close it', scope: 'global' },
  { action: 'manual', keys: ['?', 'f1', 'h', 'M'], label: 'help', help: 'open this manual', scope: 'global' },
  { action: 'next-view', keys: ['tab'], label: '', help: 'next view', scope: 'global' },
  { action: 'prev-view', keys: ['shift-tab'], label: '', help: 'previous view', scope: 'global' },
  { action: 'view-process', keys: ['1'], label: '', help: 'Process view', scope: 'global' },
  { action: 'view-builder', keys: ['2'], label: '', help: 'Builder view', scope: 'global' },
  { action: 'view-eagle', keys: ['3'], label: '', help: 'Eagle Eye view', scope: 'global' },
  { action: 'view-jobs', keys: ['4'], label: '', help: 'Jobs view', scope: 'global' },
  { action: 'view-history', keys: ['5'], label: '', help: 'History view', scope: 'global' },
  { action: 'pause', keys: ['p'], label: 'pause', help: 'pause the display (collection goes on); again to resume', scope: 'global' },
  { action: 'up', keys: ['k', 'up'], label: '', help: 'move up (k as in vim; the signal dialog is K or F9)', scope: 'list' },
  { action: 'down', keys: ['j', 'down'], label: '', help: 'move down', scope: 'list' },
  { action: 'page-up', keys: ['pageup'], label: '', help: 'one page up (the detail pane when open)', scope: 'list' },
  { action: 'page-down', keys: ['pagedown'], label: '', help: 'one page down (the detail pane when open)', scope: 'list' },
  { action: 'home', keys: ['home', 'g'], label: '', help: 'first row', scope: 'list' },
  { action: 'end', keys: ['end', 'G'], label: '', help: 'last row', scope: 'list' },
  { action: 'search', keys: ['f3'], label: 'search', help: 'search: jump to the next row containing the text (Enter keeps it; in the detail pane also /)', scope: 'list' },
  { action: 'search-next', keys: ['n'], label: '', help: 'next search match', scope: 'list' },
  { action: 'search-prev', keys: ['N'], label: '', help: 'previous search match', scope: 'list' },
  { action: 'filter', keys: ['/', 'f4', '\\'], label: 'filter', help: 'filter rows by text: words, each a substring of the row, all must match (Enter keeps it, Esc clears it, also once kept; C-u clears the text, C-w its last word)', scope: 'list' },
  { action: 'sort', keys: ['s', '>', '.'], label: 'sort', help: 'sort by the next column', scope: ['process', 'builder', 'jobs', 'history'] },
  { action: 'sort-prev', keys: ['<', ','], label: '', help: 'sort by the previous column', scope: ['process', 'builder', 'jobs', 'history'] },
  { action: 'sort-pick', keys: ['f6'], label: '', help: 'pick the sort column from a list (a click on a column title sorts by it too)', scope: ['process', 'builder', 'jobs', 'history'] },
  { action: 'reverse', keys: ['r'], label: '', help: 'reverse the sort order', scope: ['process', 'builder', 'jobs', 'history'] },
  { action: 'tree', keys: ['t', 'f5'], label: 'tree', help: 'tree or flat list', scope: ['process'] },
  { action: 'all', keys: ['a'], label: 'all', help: "Nix processes only, or every process (the daemon scans them while asked: everyone's for root, a user's own otherwise)", scope: ['process'] },
  { action: 'follow', keys: ['f'], label: 'follow', help: 'follow the selected process (again to stop); says when it ended', scope: ['process'] },
  { action: 'toggle', keys: ['enter', ' '], label: 'expand', help: 'expand or collapse the selected row', scope: ['builder', 'eagle'] },
  { action: 'expand', keys: ['right', '+'], label: '', help: 'expand', scope: ['builder', 'eagle'] },
  { action: 'collapse', keys: ['left', '-'], label: '', help: 'collapse', scope: ['builder', 'eagle'] },
  { action: 'mode', keys: ['m'], label: 'mode', help: 'whole tree / only active paths / flat list of active builds', scope: ['eagle'] },
  { action: 'mode', keys: ['m'], label: 'analytics', help: 'past jobs / analytics (slowest, rebuilt, failure rates, time per day, cache hits)', scope: ['history'] },
  // issue 15 (widget pane): the `nix-btm run` widget for the selected job, below the tree.
  { action: 'widget', keys: ['w'], label: 'widget', help: "show or hide the selected job's build as `nix-btm run` draws it", scope: ['eagle'] },
  { action: 'copy', keys: ['y'], label: 'copy', help: 'copy the store path to the clipboard (OSC 52)', scope: ['eagle', 'jobs'] },
  { action: 'detail', keys: ['enter'], label: 'detail', help: 'open or close the detail pane: log tail, environment (PgUp/PgDn scroll it, / searches it, Esc closes)', scope: ['jobs'] },
  { action: 'detail', keys: ['enter'], label: 'open', help: "show the job's derivations (Esc goes back)", scope: ['history'] },
  { action: 'kill', keys: ['K', 'f9'], label: 'kill', help: 'send a signal to the process, the build or the job (asks first)', scope: ['process', 'builder', 'jobs'] },
  { action: 'freeze', keys: ['z'], label: 'freeze', help: 'freeze (STOP) or thaw (CONT) the build (asks first)', scope: ['process', 'builder', 'jobs'] },
  { action: 'close', keys: ['escape'], label: '', help: 'close the pane, dialog or manual; clear a kept filter or search', scope: 'global' },
];

const inScope = (scope: Scope, view: ViewId): boolean => scope === 'global' || scope === 'list' || scope.includes(view);

/** The action a key does in a view; view keys win over list and global keys. */
export function actionFor(keyName: string, view: ViewId): ActionId | null {
  let found: Binding | null = null;
  for (const b of KEYMAP) {
    if (!b.keys.includes(keyName) || !inScope(b.scope, view)) continue;
    if (!found || (Array.isArray(b.scope) && !Array.isArray(found.scope))) found = b;
  }
  return found?.action ?? null;
}

/** The footer of a view: quit and help, then this view's own keys, then the rest (a narrow footer drops the last). */
export function footerKeys(view: ViewId): { readonly key: string; readonly label: string }[] {
  const shown = KEYMAP.filter((b) => b.label !== '' && inScope(b.scope, view));
  const rank = (b: Binding): number => (b.action === 'quit' || b.action === 'manual' ? 0 : Array.isArray(b.scope) ? 1 : 2);
  return [...shown].sort((a, b) => rank(a) - rank(b)).map((b) => ({ key: keyLabel(b.keys[0] ?? ''), label: b.label }));
}

/** A footer entry where it is drawn (0-based columns, end exclusive), with the key it stands for. */
export type FooterEntry = { readonly name: string; readonly text: string; readonly from: number; readonly to: number };

/** As many footer entries as fit in `width`, in footer order, with their places (for a click). */
export function footerEntries(view: ViewId, width: number): FooterEntry[] {
  const out: FooterEntry[] = [];
  let at = 0;
  const shown = KEYMAP.filter((b) => b.label !== '' && inScope(b.scope, view));
  const rank = (b: Binding): number => (b.action === 'quit' || b.action === 'manual' ? 0 : Array.isArray(b.scope) ? 1 : 2);
  for (const b of [...shown].sort((x, y) => rank(x) - rank(y))) {
    const text = `${keyLabel(b.keys[0] ?? '')} ${b.label}`;
    const from = out.length === 0 ? 0 : at + 2;
    if (from + [...text].length > width) break;
    out.push({ name: b.keys[0] ?? '', text, from, to: from + [...text].length });
    at = from + [...text].length;
  }
  return out;
}

export function footerLine(view: ViewId, width: number): string {
  return footerEntries(view, width).map((e) => e.text).join('  ');
}

/** An SGR (1006) mouse report: button code, 1-based cell, press (M) or release (m). */
export type MouseEvent = { readonly button: number; readonly x: number; readonly y: number; readonly press: boolean };

// eslint-disable-next-line no-control-regex
const SGR_MOUSE = /^\x1b\[<(\d+);(\d+);(\d+)([Mm])$/;

export function decodeMouse(sequence: string): MouseEvent | null {
  const m = SGR_MOUSE.exec(sequence);
  if (!m) return null;
  return { button: Number(m[1]), x: Number(m[2]), y: Number(m[3]), press: m[4] === 'M' };
}

const LABELS: Record<string, string> = {
  up: '↑', down: '↓', left: '←', right: '→', pageup: 'PgUp', pagedown: 'PgDn', home: 'Home', end: 'End', enter: 'Enter',
  escape: 'Esc', tab: 'Tab', 'shift-tab': 'S-Tab', f1: 'F1', f3: 'F3', f4: 'F4', f5: 'F5', f6: 'F6', f9: 'F9', f10: 'F10',
  'ctrl-c': 'C-c', ' ': 'Space', backspace: 'BS',
};

export const keyLabel = (name: string): string => LABELS[name] ?? name;

const SEQUENCES: Record<string, string> = {
  '\x1b[A': 'up', '\x1b[B': 'down', '\x1b[C': 'right', '\x1b[D': 'left', '\x1bOA': 'up', '\x1bOB': 'down', '\x1bOC': 'right',
  '\x1bOD': 'left', '\x1b[5~': 'pageup', '\x1b[6~': 'pagedown', '\x1b[H': 'home', '\x1bOH': 'home', '\x1b[1~': 'home',
  '\x1b[7~': 'home', '\x1b[F': 'end', '\x1bOF': 'end', '\x1b[4~': 'end', '\x1b[8~': 'end', '\x1bOP': 'f1', '\x1b[11~': 'f1',
  '\x1b[[A': 'f1', '\x1bOR': 'f3', '\x1b[13~': 'f3', '\x1b[[C': 'f3', '\x1bOS': 'f4', '\x1b[14~': 'f4', '\x1b[[D': 'f4',
  '\x1b[15~': 'f5', '\x1b[[E': 'f5', '\x1b[17~': 'f6', '\x1b[20~': 'f9', '\x1b[21~': 'f10', '\x1b[Z': 'shift-tab', '\r': 'enter', '\n': 'enter', '\x1b': 'escape', '\t': 'tab',
  '\x7f': 'backspace', '\b': 'backspace', '\x03': 'ctrl-c', '\x15': 'ctrl-u', '\x17': 'ctrl-w',
};

/**
 * One read from the terminal -> its key names. Ink hands over each escape sequence alone but a run of plain characters
 * as one string (a paste, fast typing, tmux send-keys), so the run is split into one key per character.
 */
export function decodeKeys(chunk: string): string[] {
  if (chunk.startsWith('\x1b') || SEQUENCES[chunk]) return [decodeKey(chunk)];
  return [...chunk].map(decodeKey);
}

/** One key press as the terminal sent it -> its name: a printable character itself, or up/down/f1/enter/... */
export function decodeKey(sequence: string): string {
  const named = SEQUENCES[sequence];
  if (named) return named;
  if ([...sequence].length === 1 && sequence >= ' ') return sequence;
  return sequence.startsWith('\x1b') ? 'unknown' : sequence;
}
