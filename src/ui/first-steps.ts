// What the first screen says while no build is known: how builds get in on this machine's Nix (README, "Setting
// Nix up"). Nix >= 2.30 writes to json-log-path by itself once nix.conf names the daemon's socket; older Nix only
// through `nix-btm run`.

export type NixSetup = {
  /** `nix --version`'s number; null: no Nix found. */
  readonly nixVersion: string | null;
  /** json-log-path as Nix reports it (`nix config show`), '' when unset; null when not asked (Nix < 2.30). */
  readonly jsonLogPath: string | null;
  /** The socket this daemon listens on for Nix's logs. */
  readonly socket: string;
  /** The runtime dir this UI was pointed at with --runtime-dir (null: the default one): `run` must name it too. */
  readonly runtimeDir?: string | null;
};

export function atLeast(version: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  return Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor);
}

export function firstSteps(s: NixSetup): string[] {
  const lines = ['No build known yet. To see builds here:'];
  if (s.nixVersion !== null && atLeast(s.nixVersion, 2, 30)) {
    if (s.jsonLogPath === s.socket) {
      lines.push(`  Nix ${s.nixVersion}: json-log-path = ${s.socket} is set; every nix build will show up here.`);
    } else {
      lines.push(`  Nix ${s.nixVersion} has json-log-path; it is ${s.jsonLogPath ? `set to ${s.jsonLogPath}` : 'not set'}. Add to nix.conf:`,
        `      json-log-path = ${s.socket}`);
    }
  } else {
    lines.push(`  Nix ${s.nixVersion ?? '(not found)'} has no json-log-path (Nix >= 2.30): run builds through nix-btm:`,
      `      nix-btm run${s.runtimeDir ? ` --runtime-dir ${s.runtimeDir}` : ''} -- nix-build default.nix`);
  }
  lines.push('  Or watch a recorded build: nix-btm --demo');
  return lines;
}
