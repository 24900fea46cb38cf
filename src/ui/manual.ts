// The manual's text, built from the key table, the view list and the commands, so it always says what the keys and
// commands really do; the man page (scripts/gen-man.mjs) is made from the same sections.
import { pathsIn, SYSTEM_RUNTIME_DIR } from '../protocol/paths.js';
import { marksLegend } from '../state/marks.js';
import { KEYMAP, VIEWS, keyLabel } from './keymap.js';

const SETUP = [
  'Setting Nix up',
  '  nix-btm reads what Nix writes; it never needs to change Nix itself.',
  '  Nix >= 2.30: point json-log-path at the daemon socket, in nix.conf:',
  '      json-log-path = /run/nix-btm/nix-log.sock',
  '    Nix connects to it for every build (the CLI and each daemon worker).',
  '  Any Nix: run a build through nix-btm, which reads its internal-json log:',
  '      nix-btm run -- nix-build default.nix',
  '  Builder processes, phases and CPU come from /proc; run the daemon as root',
  '  to see every build user\'s processes and to signal them.',
  '  Without Nix: `nix-btm --demo` plays a recorded real build.',
];

const MOUSE = [
  'Mouse',
  '  The wheel scrolls the list (or the manual: arrows, j/k, PgUp/PgDn, g/G too; q, Esc or ? close it); a click selects a row, a click on a tab switches view, a click on',
  '  a column title sorts by it (again: reverse), a click on a key in the bottom line does what the key does.',
  '  Mouse reporting is off with --no-mouse (then the terminal selects text as usual).',
];

/** One command for the manual: how it is called, what it does, its options. */
export type CommandHelp = { readonly usage: string; readonly describe: string; readonly options: readonly (readonly [string, string])[] };

function files(): string[] {
  const f = pathsIn(SYSTEM_RUNTIME_DIR);
  return ['Files',
    `  ${f.dir}: the system daemon's runtime directory (--runtime-dir).`,
    `  ${f.nixLog}: the socket to name in nix.conf(5) as json-log-path.`,
    `  ${f.control}: the control socket: snapshots, signal requests, run and feed streams.`,
    `  ${f.logFile}: the daemon's log.`];
}

const ENVIRONMENT = [
  'Environment',
  '  NIX_BTM_RUNTIME_DIR: the runtime directory when --runtime-dir is not given.',
  `  XDG_RUNTIME_DIR: users other than root default to $XDG_RUNTIME_DIR/nix-btm; root to ${SYSTEM_RUNTIME_DIR}.`,
];

export function manualLines(commands: readonly CommandHelp[] = []): string[] {
  const lines = ['nix-btm: htop for Nix. Every Nix build on this machine, live.', '', 'Views'];
  VIEWS.forEach((v, i) => lines.push(`  ${i + 1} ${v.title.padEnd(10)} ${v.help}`));
  lines.push('', 'Keys');
  for (const b of KEYMAP) {
    const where = b.scope === 'global' ? '' : b.scope === 'list' ? ' (lists)' : ` (${b.scope.map((s) => VIEWS.find((v) => v.id === s)?.title ?? s).join(', ')})`;
    lines.push(`  ${b.keys.map(keyLabel).join(' ').padEnd(14)} ${b.help}${where}`);
  }
  lines.push('', ...MOUSE, '', 'Signal dialog', '  ↑/↓ choose the signal, ←/→/Tab choose process, build (its process group) or job (its client),',
    '  Enter, then y to send or n/Esc to cancel. Signals go through the daemon\'s control socket; refusals are shown.',
    '', 'Status marks', `  ${marksLegend()}`, '');
  lines.push(...SETUP);
  if (commands.length > 0) {
    lines.push('', 'Commands');
    for (const c of commands) {
      lines.push(`  ${c.usage}: ${c.describe}`);
      for (const [name, what] of c.options) lines.push(`    --${name}: ${what}`);
    }
  }
  lines.push('', ...files(), '', ...ENVIRONMENT);
  return lines;
}

/**
 * Lines wrapped to `width` at spaces (never cut): a continuation hangs under the text of its line (after a key
 * column of two or more spaces, or two columns in from the line's own indent).
 */
export function wrapLines(lines: readonly string[], width: number): string[] {
  const out: string[] = [];
  const w = Math.max(10, width);
  for (const line of lines) {
    if ([...line].length <= w) { out.push(line); continue; }
    const indent = line.length - line.trimStart().length;
    const col = /^\s+\S+(?: \S+)*?\s{2,}/.exec(line)?.[0].length;
    const hang = ' '.repeat(Math.min(Math.floor(w / 2), col !== undefined && col > indent ? col : indent + 2));
    let rest = line;
    let first = true;
    while ([...rest].length > w) {
      const cut = rest.lastIndexOf(' ', w);
      const at = cut > (first ? indent : hang.length) ? cut : w;
      out.push(rest.slice(0, at));
      rest = hang + rest.slice(at).trimStart();
      first = false;
    }
    out.push(rest);
  }
  return out;
}
