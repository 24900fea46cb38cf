// `nix-btm history --host H` (and `stats --host H`): the history of another machine, asked of the daemon there
// through `ssh H nix-btm proxy`, as the UI's History view asks it (the far daemon admits the ssh user by its own
// SO_PEERCRED and checks the query; the answer is checked here by query kind). No port is opened.
import { connectHost, type ConnectionOptions, type HostStatus } from '../remote/connection.js';
import { defaultConfigPath, parseHostUri, readConfig, type HostSpec } from '../remote/hosts.js';
import type { HistoryAnswer, HistorySource } from '../history/source.js';
import { remoteHistory, type BadAnswers } from '../ui/fleet-history.js';
import { CliError } from './errors.js';

export type HostHistoryArgs = { host?: string; config?: string; 'remote-command'?: string };

/** How long ssh and the far daemon may take to answer at all. */
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * The machine `--host` names: a config file's host of that name (its command and runtime dir with it), else the
 * UI's --host syntax (ssh://user@host[:port], or an ~/.ssh/config alias).
 */
export function historyHost(args: HostHistoryArgs, env: NodeJS.ProcessEnv = process.env): HostSpec {
  const uri = args.host ?? '';
  let hosts: HostSpec[];
  try {
    hosts = readConfig(args.config ?? defaultConfigPath(env), args.config !== undefined).hosts;
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  const spec = hosts.find((h) => h.name === uri) ?? parseHostUri(uri);
  if (!spec) throw new CliError(`--host ${uri}: not a machine ssh can reach (ssh://user@host[:port], host, user@host)`, 2);
  return args['remote-command'] && spec.command === 'nix-btm' ? { ...spec, command: args['remote-command'] } : spec;
}

export function hostHistorySource(spec: HostSpec, opts: ConnectionOptions = {}): HistorySource {
  const bad: BadAnswers = new Map();
  let settle: (failure: HistoryAnswer | null) => void = () => undefined;
  const ready = new Promise<HistoryAnswer | null>((resolve) => { settle = resolve; });
  const status = (s: HostStatus): void => {
    // The first word of the far side decides: connected, or why not (a CLI does not wait through the UI's backoff).
    if (s.kind === 'connected') settle(null);
    else if (s.kind !== 'connecting') settle({ ok: false, reason: `${s.kind === 'daemon-down' ? 'no daemon answers there' : 'unreachable'}: ${s.detail}` });
  };
  const conn = connectHost(spec, { reset: () => undefined, events: () => undefined, status }, opts);
  const timer = setTimeout(() => settle({ ok: false, reason: `no answer in ${CONNECT_TIMEOUT_MS / 1000} s` }), CONNECT_TIMEOUT_MS);
  const ask = remoteHistory(spec.name, conn.history, bad);
  return {
    where: `${spec.name} (over ssh)`,
    ask: async (q) => (await ready) ?? ask(q),
    close: () => { clearTimeout(timer); conn.stop(); },
  };
}
