// `nix-btm daemon`: wiring and lifecycle. Foreground, logs to a file, removes its files on SIGTERM/SIGINT.
import { appendFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Server, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { startCollectors, type Collectors } from './collectors.js';
import { startControlServer } from './control-server.js';
import { startLogServer } from './log-server.js';
import { ensureRuntimeDir, pathsIn, type RuntimePaths } from './paths.js';
import { Publisher } from './publisher.js';
import { userNames } from './users.js';
import { createAttachments } from './attach.js';

export type DaemonOptions = {
  readonly runtimeDir: string;
  /** Group allowed to use the control socket and read the ring (e.g. nix-users); undefined: the owner only. */
  readonly group: string | undefined;
  readonly refreshMs: number;
  readonly ringMiB: number;
  /** Also log to stderr (for `--foreground-log`, tests). */
  readonly logToStderr: boolean;
};

export async function runDaemon(opts: DaemonOptions): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  ensureRuntimeDir(opts.runtimeDir, uid === 0);
  const paths = pathsIn(opts.runtimeDir);
  const log = logger(paths.logFile, opts.logToStderr);
  await refuseIfRunning(paths);
  removeStale(paths);
  const names = userNames();
  const gid = opts.group === undefined ? undefined : names.gidOf(opts.group);
  if (opts.group !== undefined && gid === undefined) throw new Error(`no such group: ${opts.group}`);
  const publisher = new Publisher({
    ringPath: `${paths.ringPrefix}.${process.pid}.ring`, capacityBytes: opts.ringMiB * 2 ** 20,
    mode: gid === undefined ? 0o600 : 0o660, gid, onError: log,
  });
  const publish = publisher.publish.bind(publisher);
  const info = { pid: process.pid, startedAt: Date.now(), runtimeDir: opts.runtimeDir, nixLogSocket: paths.nixLog };
  let collectors: Collectors | null = null;
  let stopNow: (why: string) => void = () => {};
  const attachments = createAttachments({
    current: () => publisher.current, uid, stop: (why) => setImmediate(() => stopNow(why)), changed: () => collectors?.now(),
  });
  const servers: Server[] = [
    await startLogServer({ path: paths.nixLog, publish, userName: names.nameOf, log }),
    await startControlServer({ path: paths.control, gid, publisher, info, userName: names.nameOf, log,
      environOf: (pid) => collectors?.scanner.environ(pid) ?? null, attachments }),
  ];
  // server.close() waits for open connections: an idle Nix or a feed would keep a stopping daemon alive forever.
  const open = new Set<Socket>();
  for (const s of servers) s.on('connection', (c: Socket) => { open.add(c); c.once('close', () => open.delete(c)); });
  writeFileSync(paths.pidFile, `${process.pid}\n`, { mode: 0o644 });
  collectors = startCollectors({ refreshMs: opts.refreshMs, current: () => publisher.current, publish, log, wantAll: attachments.wantAll });
  log(`nix-btm daemon ${process.pid} ready: json-log-path = ${paths.nixLog}, control ${paths.control}, ring ${publisher.ringPath}`);
  await new Promise<void>((resolve) => {
    const stop = (why: string): void => {
      log(`shutting down (${why})`);
      collectors.stop();
      for (const s of servers) s.close();
      for (const c of open) c.destroy();
      publisher.close();
      removeOwn(paths, publisher.ringPath);
      resolve();
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

function removeStale(paths: RuntimePaths): void {
  for (const f of [paths.control, paths.nixLog, paths.pidFile]) rmSync(f, { force: true });
  const prefix = basename(paths.ringPrefix) + '.';
  for (const f of readdirSync(dirname(paths.ringPrefix))) {
    if (f.startsWith(prefix) && f.endsWith('.ring')) rmSync(join(dirname(paths.ringPrefix), f), { force: true });
  }
}

function removeOwn(paths: RuntimePaths, ringPath: string): void {
  for (const f of [paths.control, paths.nixLog, paths.pidFile, ringPath]) rmSync(f, { force: true });
}

function logger(file: string, toStderr: boolean): (line: string) => void {
  return (line) => {
    const text = `${new Date().toISOString()} ${line}\n`;
    try { appendFileSync(file, text, { mode: 0o640 }); } catch { /* a full disk must not stop the daemon */ }
    if (toStderr) process.stderr.write(text);
  };
}
