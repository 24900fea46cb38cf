// The manual's text, built from the key table and the view list so it always says what the keys really do.
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

export function manualLines(): string[] {
  const lines = ['nix-btm: htop for Nix. Every Nix build on this machine, live.', '', 'Views'];
  VIEWS.forEach((v, i) => lines.push(`  ${i + 1} ${v.title.padEnd(10)} ${v.help}`));
  lines.push('', 'Keys');
  for (const b of KEYMAP) {
    const where = b.scope === 'global' ? '' : b.scope === 'list' ? ' (lists)' : ` (${b.scope.map((s) => VIEWS.find((v) => v.id === s)?.title ?? s).join(', ')})`;
    lines.push(`  ${b.keys.map(keyLabel).join(' ').padEnd(14)} ${b.help}${where}`);
  }
  lines.push('', 'Signal dialog', '  ↑/↓ choose the signal, ←/→/Tab choose process, build (its process group) or job (its client),',
    '  Enter, then y to send or n/Esc to cancel. Signals go through the daemon\'s control socket; refusals are shown.',
    '', 'Status marks', '  ⏵ running  ✔ built  ⇣ substituted  ✓ already valid  ✘ failed  ⏸ planned  ⧖ waiting  ↓ downloading  ⊘ cancelled  ⚠ interrupted  ❄ frozen', '');
  lines.push(...SETUP);
  return lines;
}
