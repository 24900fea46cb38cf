// `nix-btm daemon`: the single source of truth, in the foreground (systemd-friendly), logging to a file.
import type { CommandModule } from 'yargs';
import { runDaemon } from '../daemon/daemon.js';
import { askShortSlices } from '../addon/sched.js';
import { defaultRuntimeDir } from '../protocol/paths.js';
import { CliError } from './errors.js';
import { parseMetricsAddress } from '../daemon/metrics-address.js';
import { historyArgs, historyOptions, withOptions, type HistoryArgs } from './history-args.js';

type Args = { 'runtime-dir'?: string; group?: string; refresh: number; 'ring-mib': number; 'log-stderr': boolean; 'store-dir'?: string[]; metrics?: string; 'metrics-any-address': boolean; 'user-derivations'?: number } & HistoryArgs;

export const daemonCommand: CommandModule<object, Args> = {
  command: 'daemon',
  describe: 'Run the daemon in the foreground: collects every Nix build on this machine for the UIs',
  builder: (y) => withOptions(y, historyArgs)
    .option('runtime-dir', { type: 'string', describe: 'Directory for sockets, ring and log (env NIX_BTM_RUNTIME_DIR; default /run/nix-btm for root, else $XDG_RUNTIME_DIR/nix-btm)' })
    .option('group', { type: 'string', describe: 'Group whose members may use the UI against this daemon (e.g. nix-users); default: root only' })
    .option('refresh', { type: 'number', default: 1000, describe: 'Milliseconds between /proc scans' })
    .option('ring-mib', { type: 'number', default: 64, describe: 'Size of the event ring in MiB (a power of two)' })
    .option('log-stderr', { type: 'boolean', default: false, describe: 'Also write the log to stderr' })
    .option('store-dir', { type: 'string', array: true, describe: 'Nix store whose .drv files the daemon reads (repeatable; default /nix/store and $NIX_STORE_DIR)' })
    .option('metrics', { type: 'string', describe: 'Serve Prometheus metrics on ADDRESS:PORT/metrics, e.g. 127.0.0.1:9464 (off by default)' })
    .option('metrics-any-address', { type: 'boolean', default: false, describe: 'Allow --metrics on a wildcard address (0.0.0.0, [::]): every network peer sees build names' })
    .option('user-derivations', { type: 'number', describe: 'Derivations, transfers and open activities the open log streams of one non-root user may add (default 200000); past it the stream is closed' })
    .example('$0 daemon --group nix-users', 'System daemon; then set json-log-path = /run/nix-btm/nix-log.sock in nix.conf') as never,
  handler: async (args) => {
    if (!Number.isFinite(args.refresh) || args.refresh < 100) throw new CliError('--refresh must be at least 100 (ms)', 2);
    const metrics = args.metrics !== undefined ? parseMetricsAddress(args.metrics, args['metrics-any-address']) : null;
    if (metrics && 'error' in metrics) throw new CliError(metrics.error, 2);
    const quota = args['user-derivations'];
    if (quota !== undefined && (!Number.isSafeInteger(quota) || quota < 1)) throw new CliError('--user-derivations must be a positive integer', 2);
    // The main thread wakes per burst of Nix's records, reduces and publishes them, and sleeps: a short slice lets
    // that wake-up preempt a busy compiler at once instead of waiting out its slice (`npm run bench` key `hosts`:
    // p99 from a record to a remote UI 1.68 -> 1.37 ms, medians of 3 A/B runs; key `e2e` unchanged).
    askShortSlices(100);
    try {
      await runDaemon({
        runtimeDir: args['runtime-dir'] ?? defaultRuntimeDir(), group: args.group, refreshMs: args.refresh,
        ringMiB: args['ring-mib'], logToStderr: args['log-stderr'], history: historyOptions(args), metrics,
        ...(args['user-derivations'] !== undefined ? { userDerivations: args['user-derivations'] } : {}),
        ...(args['store-dir'] ? { storeDirs: args['store-dir'].map((d) => d.replace(/\/+$/, '')) } : {}),
      });
    } catch (err) {
      throw new CliError((err as Error).message, 1);
    }
  },
};
