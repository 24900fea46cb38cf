// The machine names Nix prints for a build it offloads (`building '<drv>' on 'ssh://host'`, the Build activity's
// second field), read the way Nix and ssh read them, and matched against the hosts a user watches. What Nix 2.8 and
// 2.30 really print, captured in tests/fixtures/machines/ (scripts/capture-machines.sh):
// - the machine's URI as the machines file or --builders wrote it, `ssh://` added when it had no scheme
//   (`user@host` -> `ssh://user@host`, `127.0.0.1` -> `ssh://127.0.0.1`), store parameters kept (`?remote-store=`);
// - `ssh-ng://` as written; IPv6 as written, bracketed or not (`ssh://u@::1`, `ssh://u@[::1]`, `ssh-ng://[::1]`);
// - no port: both hand `host:port` to ssh as a host name, which fails ("cannot build on 'ssh://u@h:2222'"); a port
//   comes from ~/.ssh/config or NIX_SSHOPTS, so a name without a port matches a watched host with one;
// - `ssh://localhost` (no user) is not ssh at all: Nix runs the far command on this machine, as the user who ran
//   Nix. `user@localhost` is a real ssh connection to this machine.

export type MachineName = {
  readonly scheme: 'ssh' | 'ssh-ng';
  readonly user: string | null;
  /** As written, without brackets. */
  readonly host: string;
  readonly port: number | null;
  /** `localhost` without a user: this machine itself, without ssh. */
  readonly here: boolean;
};

const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9._%-]*$/;
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.%A-Za-z]*$/;

function splitHostPort(text: string): { host: string; port: number | null } | null {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return null;
    const rest = text.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    const host = text.slice(1, end);
    return IPV6.test(host) ? { host, port: rest === '' ? null : Number(rest.slice(1)) } : null;
  }
  // Two colons or more: an IPv6 address, which can carry no port without brackets.
  if ((text.match(/:/g) ?? []).length >= 2) return IPV6.test(text) ? { host: text, port: null } : null;
  const [host = '', port] = text.split(':');
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return null;
  return HOST_NAME.test(host) ? { host, port: port === undefined ? null : Number(port) } : null;
}

/** `ssh://user@host:port?params`, `ssh-ng://...`, `user@host`, `host`; null for any other store or what is not a host. */
export function parseMachineName(text: string): MachineName | null {
  const t = text.trim();
  const m = /^(?:(ssh|ssh-ng):\/\/)?([^?#/\s]*)\/?(?:\?[^\s]*)?$/.exec(t);
  if (!m || (t.split('?')[0]!.includes('://') && !m[1])) return null;
  const authority = m[2] ?? '';
  const at = authority.lastIndexOf('@');
  const user = at >= 0 ? authority.slice(0, at) : null;
  if (user !== null && !/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(user)) return null;
  const hp = splitHostPort(at >= 0 ? authority.slice(at + 1) : authority);
  if (!hp || hp.host === '') return null;
  return { scheme: (m[1] as 'ssh' | 'ssh-ng' | undefined) ?? 'ssh', user, host: hp.host, port: hp.port, here: user === null && hp.host.toLowerCase() === 'localhost' };
}

/** Names of this machine's loopback interface: whichever is written, it is this machine. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === 'ip6-localhost' || h === 'ip6-loopback' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1' || /^(0+:){7}0*1$/.test(h);
}

/** How closely two names denote one machine: 3 same user and host, 2 same host, 1 both loopback, 0 not the same. */
export function closeness(a: MachineName, b: MachineName): number {
  if (a.port !== null && b.port !== null && a.port !== b.port) return 0;
  if (a.host.toLowerCase() === b.host.toLowerCase()) return a.user !== null && a.user === b.user ? 3 : 2;
  return isLoopback(a.host) && isLoopback(b.host) ? 1 : 0;
}

export type Named = { readonly name: string; readonly aliases?: readonly string[] };

const parsed = new WeakMap<readonly string[], readonly MachineName[]>();

function namesOf(h: Named): readonly MachineName[] {
  const list = h.aliases ?? [];
  let out = parsed.get(list);
  if (!out) parsed.set(list, (out = list.map(parseMachineName).filter((n): n is MachineName => n !== null)));
  return out;
}

/** The watched host Nix's machine name stands for: the closest one (first in the list on a tie), or null. */
export function matchMachine<H extends Named>(machine: string | null, hosts: readonly H[]): H | null {
  const m = machine ? parseMachineName(machine) : null;
  if (!m) return null;
  let best: H | null = null;
  let score = 0;
  for (const h of hosts) {
    const byName = parseMachineName(h.name);
    let s = byName ? Math.min(2, closeness(m, byName)) : 0;
    for (const n of namesOf(h)) s = Math.max(s, closeness(m, n));
    if (s > score) { best = h; score = s; }
  }
  return best;
}
