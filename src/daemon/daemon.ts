// `nix-btm daemon`: wiring and lifecycle. Foreground, logs to a file, removes its files on SIGTERM/SIGINT.
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Server, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { defaultDrvSource } from '../ingest/drv-file.js';
import { forgetActivation, inheritedSocket } from './activation.js';
import { startCollectors, type Collectors } from './collectors.js';
import { startControlServer } from './control-server.js';
import { readLeftFile, takeLeftFile, type LeftFile } from './left-file.js';
import { defaultLimits, PeerCounter } from './limits.js';
import { DerivationQuota } from './derivation-quota.js';
import { logFile, rateLimited } from './log-file.js';
import { startLogServer, type LogServer } from './log-server.js';
import { ensureRuntimeDir, pathsIn, type RuntimePaths } from '../protocol/paths.js';
import { Publisher } from './publisher.js';
import { userNames } from './users.js';
import type { BtmEvent } from '../state/events.js';
import { startHistory, type HistoryOptions } from './history-wiring.js';
import { startMetrics, type Metrics } from './metrics.js';
import type { MetricsAddress } from './metrics-address.js';
import { createAttachments } from './attach.js';
import { wakeOffers } from './wake-offers.js';

export type DaemonOptions = {
  readonly runtimeDir: string;
  /** Group allowed to use the control socket and read the ring (e.g. nix-users); undefined: the owner only. */
  readonly group: string | undefined;
  readonly refreshMs: number;
  readonly ringMiB: number;
  /** Also log to stderr (for `--foreground-log`, tests). */
  readonly logToStderr: boolean;
  /** Store dirs whose .drv files may be read (default /nix/store and $NIX_STORE_DIR). */
  readonly storeDirs?: readonly string[];
  /** The build history database; null: --no-history. */
  readonly history?: HistoryOptions | null;
  /** Serve Prometheus metrics there (off by default). */
  readonly metrics?: MetricsAddress | null;
  /** Derivations, transfers and open activities the open log sources of one non-root uid may add (default in limits.ts). */
  readonly userDerivations?: number;
};

export async function runDaemon(opts: DaemonOptions): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  ensureRuntimeDir(opts.runtimeDir, uid === 0);
  const paths = pathsIn(opts.runtimeDir);
  const log = logFile(paths.logFile, { toStderr: opts.logToStderr });
  const limited = rateLimited(log, { burst: 50, perSecond: 5 });
  const peerLog = (uid: number | null, line: string): void => limited(`uid ${uid ?? '?'}`, line);
  lastResort(limited);
  await refuseIfRunning(paths);
  // systemd's socket (FileDescriptorName=nix-log) stays in place across our restarts: never bind or remove it then.
  const inheritedFd = inheritedSocket('nix-log');
  forgetActivation();
  // Before anything removes the path: a regular file there is what Nix wrote while no daemon ran.
  const left = inheritedFd === null ? takeLeftFile(paths.nixLog) : null;
  removeStale(paths, inheritedFd !== null);
  const names = userNames();
  const gid = opts.group === undefined ? undefined : names.gidOf(opts.group);
  if (opts.group !== undefined && gid === undefined) throw new Error(`no such group: ${opts.group}`);
  const publisher = new Publisher({
    ringPath: `${paths.ringPrefix}.${process.pid}.ring`, capacityBytes: opts.ringMiB * 2 ** 20,
    mode: gid === undefined ? 0o600 : 0o640, gid, onError: (line) => limited('publisher', line),
  });
  const counter = new PeerCounter({ ...defaultLimits(), ...(opts.userDerivations !== undefined ? { userDerivations: opts.userDerivations } : {}) });
  const quota = new DerivationQuota(counter.limits.userDerivations, (e) => {
    const s = publisher.current;
    return s.derivations.size + s.transfers.size + ('source' in e ? s.activities.get(e.source)?.size ?? 0 : 0);
  });
  const publish = publisher.publish.bind(publisher);
  const publishAll = publisher.publishAll.bind(publisher);
  const info = { pid: process.pid, startedAt: Date.now(), runtimeDir: opts.runtimeDir, nixLogSocket: paths.nixLog,
    ...(inheritedFd !== null ? { socketActivated: true } : {}),
    ...(left ? { leftFile: { path: left.info.path, bytes: left.info.bytes, skippedBytes: left.info.skippedBytes, takenAt: left.info.takenAt } } : {}) };
  const history = startHistory(opts.history ?? null, publisher, info.startedAt, log);
  let collectors: Collectors | null = null;
  let stopNow: (why: string) => void = () => {};
  const attachments = createAttachments({
    current: () => publisher.current, uid, stop: (why) => setImmediate(() => stopNow(why)), changed: () => collectors?.now(),
  });
  const logServer: LogServer = await startLogServer({ path: paths.nixLog, inheritedFd, publish, publishAll, userName: names.nameOf, log,
    counter, quota, peerLog });
  if (left) takeOver(left, publish, names.nameOf, log);
  const metrics: Metrics | null = opts.metrics ? await startMetrics({ address: opts.metrics, publisher, backlog: logServer.backlog, log }) : null;
  if (metrics) log(`metrics on ${metrics.url}`);
  const wake = wakeOffers(opts.runtimeDir, () => publisher.wakeFifos);
  const servers: Server[] = [
    await startControlServer({ path: paths.control, gid, publisher, info, userName: names.nameOf, log, counter, quota, peerLog, wake,
      environOf: (pid) => collectors?.scanner.environ(pid) ?? null,
      isBuildUid: (uid) => collectors?.scanner.isBuildUid(uid) ?? false, history, attachments }),
  ];
  // server.close() waits for open connections: an idle Nix or a feed would keep a stopping daemon alive forever.
  const open = new Set<Socket>();
  for (const s of servers) s.on('connection', (c: Socket) => { open.add(c); c.once('close', () => open.delete(c)); });
  writeFileSync(paths.pidFile, `${process.pid}\n`, { mode: 0o644 });
  const drvSource = opts.storeDirs?.length ? { ...defaultDrvSource(), storeDirs: opts.storeDirs } : defaultDrvSource();
  collectors = startCollectors({ refreshMs: opts.refreshMs, current: () => publisher.current, publish, log, drvSource,
    allScope: attachments.scope, userName: names.nameOf });
  log(`nix-btm daemon ${process.pid} ready: json-log-path = ${paths.nixLog}${inheritedFd !== null ? ` (inherited fd ${inheritedFd})` : ''}, control ${paths.control}, ring ${publisher.ringPath}`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      log(`shutting down (${why})`);
      const scans = collectors.stop();
      void metrics?.close();
      // Nix's log socket first: once it no longer accepts, a Nix that connects waits in the socket's queue (an
      // inherited socket outlives us) for the next daemon, instead of being read by this one as it goes. Then the
      // control socket, whose going tells a client this daemon is gone.
      void logServer.close().finally(() => {
        for (const s of servers) s.close();
        for (const c of open) c.destroy();
        publisher.close();
        wake.close();
        removeOwn(paths, publisher.ringPath, inheritedFd !== null);
        void Promise.all([scans.catch(() => {}), history?.close()]).finally(resolve);
      });
    };
    stopNow = stop;
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGHUP', () => stop('SIGHUP'));
  });
}

/** Another daemon answering on the control socket keeps its files; a dead one's are replaced. */
async function refuseIfRunning(paths: RuntimePaths): Promise<void> {
  if (!existsSync(paths.control)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(paths.control);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`a nix-btm daemon already answers on ${paths.control}`);
}

/** Reads the file left at the socket path in the background: start-up never waits for it. */
function takeOver(left: LeftFile, publish: (e: BtmEvent, line?: string) => void, userName: (uid: number) => string | null,
  log: (line: string) => void): void {
  const { info } = left;
  log(`took over ${info.path}: a regular file of ${info.bytes} bytes Nix wrote while no daemon ran${info.skippedBytes > 0 ? ` (reading its last ${info.bytes - info.skippedBytes} bytes)` : ''}`);
  void readLeftFile(left, { source: `left-file:${info.takenAt}`, publish, userName, log })
    .then((bytes) => log(`read ${bytes} bytes of the log file left at ${info.path}`));
}

function removeStale(paths: RuntimePaths, activated: boolean): void {
  for (const f of [paths.control, ...(activated ? [] : [paths.nixLog]), paths.pidFile]) rmSync(f, { force: true });
  const prefix = basename(paths.ringPrefix) + '.';
  for (const f of readdirSync(dirname(paths.ringPrefix))) {
    if (f.startsWith(prefix) && f.endsWith('.ring')) rmSync(join(dirname(paths.ringPrefix), f), { force: true });
  }
}

function removeOwn(paths: RuntimePaths, ringPath: string, activated: boolean): void {
  for (const f of [paths.control, ...(activated ? [] : [paths.nixLog]), paths.pidFile, ringPath]) rmSync(f, { force: true });
}

/**
 * The last net: an error no handler caught is logged and the daemon goes on. Each connection contains its own
 * errors (log-server.ts, control-conn.ts), so this is for bugs; dying would stop every build's display at once.
 */
function lastResort(log: (key: string, line: string) => void): void {
  process.on('uncaughtException', (err) => log('uncaught', `uncaught exception (daemon continues): ${err?.stack ?? String(err)}`));
  process.on('unhandledRejection', (why) => log('uncaught', `unhandled rejection (daemon continues): ${(why as Error)?.stack ?? String(why)}`));
}
