// Which machines to watch: `--host` URIs, a config file's `hosts`, and Nix's own builders list (`--machines`), all
// turned into the same HostSpec: how to reach the machine with the system's ssh, and what to run there.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseMachineName } from './machine-name.js';

export type HostSpec = {
  /** Shown in the HOST column; unique among the watched hosts. */
  readonly name: string;
  /** What ssh is given: `user@host` or `host` (an alias of ~/.ssh/config works). */
  readonly destination: string;
  readonly port: number | null;
  /** The remote command, before `proxy`: `nix-btm` unless a config says otherwise. */
  readonly command: string;
  /** The remote daemon's runtime dir, when not its default. */
  readonly runtimeDir: string | null;
  /** Build slots (the machines file's max-jobs), for the header's running/slots. */
  readonly maxJobs: number | null;
};

export type HostOverrides = { readonly command?: string; readonly runtimeDir?: string | null; readonly name?: string; readonly maxJobs?: number | null };

/** `ssh://user@host:port`, `ssh-ng://host`, `user@host` or `host`; null for what ssh cannot reach (`local`, `daemon`, a path). */
export function parseHostUri(uri: string, over: HostOverrides = {}): HostSpec | null {
  const text = uri.trim();
  if (text === 'local' || text === 'auto' || text === 'daemon') return null;
  const m = parseMachineName(text);
  if (!m) return null;
  // ssh takes an IPv6 address bracketed or not; brackets keep `user@[::1]` readable.
  const host = m.host.includes(':') ? `[${m.host}]` : m.host;
  return {
    name: over.name ?? m.host,
    destination: m.user !== null ? `${m.user}@${host}` : host,
    port: m.port,
    command: over.command ?? 'nix-btm',
    runtimeDir: over.runtimeDir ?? null,
    maxJobs: over.maxJobs ?? null,
  };
}

/** Lines of a machines file or a `builders` value: `URI SYSTEMS SSH-KEY MAX-JOBS ...`, entries split by `;` or newlines. */
export function parseMachines(text: string, readFile: (path: string) => string | null = readOrNull, depth = 0): HostSpec[] {
  const specs: HostSpec[] = [];
  for (const raw of text.split(/[;\n]/)) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    if (line.startsWith('@')) {
      // Nix's `builders = @/etc/nix/machines`; a file naming itself must not loop.
      const inner = depth < 4 ? readFile(line.slice(1)) : null;
      if (inner !== null) specs.push(...parseMachines(inner, readFile, depth + 1));
      continue;
    }
    const fields = line.split(/\s+/);
    const jobs = Number(fields[3]);
    for (const uri of (fields[0] ?? '').split(',')) {
      const spec = parseHostUri(uri, { maxJobs: Number.isInteger(jobs) && jobs > 0 ? jobs : 1 });
      if (spec) specs.push(spec);
    }
  }
  return specs;
}

function readOrNull(path: string): string | null {
  try { return readFileSync(path, 'utf8'); } catch { return null; }
}

/** Nix's `builders` setting as its config files and NIX_CONFIG set it (the last one wins); Nix's default otherwise. */
export function buildersSetting(env: NodeJS.ProcessEnv = process.env, readFile = readOrNull): string {
  const files = [join(env.NIX_CONF_DIR ?? '/etc/nix', 'nix.conf'), join(env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), '.config'), 'nix', 'nix.conf')];
  let value = '@/etc/nix/machines';
  for (const text of [...files.map((f) => readFile(f) ?? ''), env.NIX_CONFIG ?? '']) {
    for (const line of text.split('\n')) {
      const m = /^\s*builders\s*=(.*)$/.exec(line);
      if (m) value = (m[1] ?? '').trim();
    }
  }
  return value;
}

export type ConfigFile = { readonly hosts: HostSpec[] };

/** `{"hosts": ["ssh://a", {"uri": "ssh://b", "name": "b", "command": "/opt/nix-btm/bin/nix-btm", "runtimeDir": "/run/nix-btm"}]}` */
export function parseConfig(text: string, where: string): ConfigFile {
  let v: unknown;
  try { v = JSON.parse(text); } catch (err) { throw new Error(`${where}: not JSON (${(err as Error).message})`); }
  const list = (v as { hosts?: unknown } | null)?.hosts ?? [];
  if (!Array.isArray(list)) throw new Error(`${where}: "hosts" is a list`);
  return {
    hosts: list.map((entry: unknown, i) => {
      const e = typeof entry === 'string' ? { uri: entry } : entry as Record<string, unknown>;
      const str = (k: string): string | undefined => (typeof e?.[k] === 'string' ? e[k] as string : undefined);
      const uri = str('uri');
      const spec = uri !== undefined ? parseHostUri(uri, { name: str('name'), command: str('command'), runtimeDir: str('runtimeDir') ?? null,
        maxJobs: typeof e.maxJobs === 'number' ? e.maxJobs : null }) : null;
      if (!spec) throw new Error(`${where}: hosts[${i}] needs a "uri" ssh can reach (ssh://user@host, host)`);
      return spec;
    }),
  };
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), '.config'), 'nix-btm', 'config.json');
}

export function readConfig(path: string, required: boolean): ConfigFile {
  if (!existsSync(path)) {
    if (required) throw new Error(`config file ${path} does not exist`);
    return { hosts: [] };
  }
  return parseConfig(readFileSync(path, 'utf8'), path);
}

/** Names made unique (`a`, `a#2`) so rows of two hosts never share a key. */
export function uniqueNames(specs: readonly HostSpec[], taken: readonly string[] = []): HostSpec[] {
  const seen = new Set(taken);
  return specs.map((s) => {
    let name = s.name;
    for (let i = 2; seen.has(name); i++) name = `${s.name}#${i}`;
    seen.add(name);
    return { ...s, name };
  });
}

/** Quotes one word for the remote shell, which ssh hands the command line to. */
export const shellQuote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** ssh's argv: the user's own ssh config applies (keys, agent, ControlMaster, ProxyJump); NIX_SSHOPTS as Nix reads it. */
export function sshArgv(spec: HostSpec, env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.NIX_SSHOPTS ?? '').split(/\s+/).filter((w) => w !== '');
  const remote = [...spec.command.split(/\s+/).filter((w) => w !== ''), 'proxy', ...(spec.runtimeDir ? ['--runtime-dir', spec.runtimeDir] : [])];
  return ['-T', '-o', 'BatchMode=yes', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3', ...extra,
    ...(spec.port !== null ? ['-p', String(spec.port)] : []), '--', spec.destination, remote.map(shellQuote).join(' ')];
}
