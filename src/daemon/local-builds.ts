// Builds no log stream reports: root's nix-build on the local store never opens json-log-path, and a Nix without
// json-log-path reports nothing. /proc still shows their builders: a builder no stream explains is tied to its .drv
// through the store (the .drv files named like its NIX_BUILD_TOP whose outputs are the builder's `out`), its
// parent becomes a job ("a local build by root, pid N, command ..."), and when the builder is gone the store says
// whether its outputs exist. Everything here reads facts a build cannot forge: /proc and the store.
import { readdir } from 'node:fs/promises';
import { builderDrvName, builderOutputPaths, type Environ } from '../ingest/builder-map.js';
import { outputsValid, type DrvParse } from '../ingest/drv-file.js';
import type { BtmEvent, ProcessInfo } from '../state/events.js';
import type { State } from '../state/model.js';
import { isJobProcess } from '../state/selectors.js';

export type LocalBuildOptions = {
  readonly current: () => State;
  readonly publish: (e: BtmEvent) => void;
  readonly environ: (pid: number) => Environ | null;
  readonly log: (line: string) => void;
  /** The daemon's .drv reader (only real store files of its store dirs, --store-dir). */
  readonly readDrv: (drvPath: string) => Promise<DrvParse>;
  /**
   * Who a nix-daemon worker builds for, from the kernel (owner.ts: its client connection's credentials): the
   * worker runs as root whoever asked, so its build is its client's. Null when it cannot be told.
   */
  readonly clientOf?: (workerPid: number) => { readonly pid: number; readonly uid: number; readonly user: string | null; readonly command: string;
    readonly startedAt?: number | null } | null;
  /** A process's command line (/proc/PID/cmdline), '' when gone. */
  readonly commandOf?: (pid: number) => string;
};

/** `nix-btm run` / `nix-btm feed`: a Nix under it streams its log to a daemon (or will, once it reconnects to one). */
const UNDER_NIX_BTM = /(^|[/\s.])nix-btm(-wrapped)?(\.[cm]?js)? (run|feed)\b/;

type Tracked = { readonly startedAt: number; readonly drvPath: string; readonly source: string; readonly outputs: Record<string, string> };
type Client = { readonly pid: number; readonly startedAt: number };

/**
 * Scans in a row a builder must stay unexplained before it is looked up when its parent has a log stream open (its
 * Build record may just be late). A builder whose parent has none (a legacy command on the local store: it never
 * connects) is looked up at first sight: a build that fails within a few seconds would otherwise end unseen.
 */
const PATIENCE = 4;
/** Scans after its builder is gone that a build's outputs may take to be registered before it counts as failed. */
const GRACE = 4;

export type LocalBuilds = { onScan(processes: readonly ProcessInfo[], now: number): void };

export function createLocalBuilds(opts: LocalBuildOptions): LocalBuilds {
  const tracked = new Map<number, Tracked>();
  const unexplained = new Map<number, number>();
  const looking = new Set<number>();
  const clients = new Map<string, Client>();
  const settling = new Map<Tracked, number>();
  let latest: ReadonlyMap<number, ProcessInfo> = new Map();

  /** Some log stream (not us) runs this build: nothing to add. */
  const streamed = (drvPath: string): boolean => {
    const state = opts.current();
    const drv = state.derivations.get(drvPath);
    return drv !== undefined && drv.status === 'running' && drv.jobs.some((j) => state.jobs.get(j)?.info.via !== 'local');
  };

  /**
   * Whether a log stream could still explain a builder of this parent: a running stream job is the parent's (its
   * client's pid, or a worker's own connection), or, for a daemon worker, its client's. Unknown parents: maybe.
   */
  const clientOfParent = (parent: ProcessInfo): { readonly pid: number } | null =>
    (parent.role === 'daemon-worker' ? opts.clientOf?.(parent.pid) ?? null : null);

  const mayStream = (parent: ProcessInfo | undefined): boolean => {
    if (parent === undefined) return true;
    const client = clientOfParent(parent);
    if (parent.role === 'daemon-worker' && client === null) return true;
    if (underRun(parent, client)) return true;
    for (const job of opts.current().jobs.values()) {
      if (job.status !== 'running' || job.info.via === 'local') continue;
      if (isJobProcess(job, parent) || job.info.peer?.pid === parent.pid || (client !== null && job.info.pid === client.pid)) return true;
    }
    return false;
  };

  /**
   * A client run by `nix-btm run`: its stream explains its builds, however late (after a daemon restart its replay
   * comes after the reconnect's backoff, longer than PATIENCE scans on a busy machine): never a build of no stream.
   */
  const underRun = (parent: ProcessInfo, client: { readonly pid: number } | null): boolean =>
    UNDER_NIX_BTM.test(opts.commandOf?.(client !== null ? latestPpid(client.pid) : parent.ppid) ?? '');

  /** The parent pid of a process in the last scan, else from /proc (a client outside the Nix forest). */
  const latestPpid = (pid: number): number => latest.get(pid)?.ppid ?? -1;

  function start(builder: ProcessInfo, parent: ProcessInfo | undefined, drvPath: string, outputs: Record<string, string>, now: number): void {
    const source = `local:${builder.ppid}:${parent?.startedAt ?? 0}`;
    if (!clients.has(source)) {
      clients.set(source, { pid: builder.ppid, startedAt: parent?.startedAt ?? 0 });
      const worker = parent?.role === 'daemon-worker';
      const client = worker ? opts.clientOf?.(builder.ppid) ?? null : null;
      const command = client !== null
        ? `a build by nix-daemon worker pid ${builder.ppid} for pid ${client.pid} with no log stream, command ${client.command || '?'}`
        : worker
          ? `a build by nix-daemon worker pid ${builder.ppid} with no log stream, command ${parent?.command ?? '?'}`
          : `a local build by ${parent?.user ?? '?'}, pid ${builder.ppid}, command ${parent?.command ?? '?'}`;
      const info = client !== null
        ? { via: 'local' as const, pid: client.pid, uid: client.uid, user: client.user, command, ...(client.startedAt != null ? { pidStartedAt: client.startedAt } : {}) }
        : { via: 'local' as const, pid: builder.ppid, uid: parent?.uid ?? null, user: parent?.user ?? null, command, ...(parent ? { pidStartedAt: parent.startedAt } : {}) };
      opts.publish({ kind: 'source-open', at: now, source, info });
      opts.log(`source ${source}: ${command}`);
    }
    tracked.set(builder.pid, { startedAt: builder.startedAt, drvPath, source, outputs });
    opts.publish({ kind: 'local-build', at: now, source, drvPath, status: 'running', reason: null });
  }

  /** Nix registers the outputs after the builder exits: give it a few scans before calling the build failed. */
  function settle(t: Tracked, now: number): void {
    const built = outputsValid(t.outputs);
    const left = (settling.get(t) ?? GRACE) - 1;
    if (!built && left > 0) { settling.set(t, left); return; }
    settling.delete(t);
    opts.publish({ kind: 'local-build', at: now, source: t.source, drvPath: t.drvPath, status: built ? 'built' : 'failed',
      reason: built ? 'its outputs are in the store' : 'its builder ended and its outputs are not in the store (no log says why)' });
  }

  function lookUp(builder: ProcessInfo, now: number): void {
    const env = opts.environ(builder.pid);
    if (env === null) return;
    looking.add(builder.pid);
    // The parent as it is now: a short build's client may be gone by the time the store answers.
    const parent = latest.get(builder.ppid);
    void findDrv(env, opts.readDrv).then((found) => {
      looking.delete(builder.pid);
      // Started even if the builder has ended meanwhile: it ran, and the next scan settles it.
      if (found && !tracked.has(builder.pid) && !streamed(found.drvPath)) start(builder, parent, found.drvPath, found.outputs, now);
    }, (err: Error) => { looking.delete(builder.pid); opts.log(`local build of pid ${builder.pid}: ${err.message}`); });
  }

  return {
    onScan(processes, now) {
      latest = new Map(processes.map((p) => [p.pid, p]));
      for (const t of [...settling.keys()]) settle(t, now);
      for (const [pid, t] of tracked) {
        if (latest.get(pid)?.startedAt === t.startedAt) continue;
        tracked.delete(pid);
        settle(t, now);
      }
      for (const p of processes) {
        if (p.role !== 'builder' || tracked.has(p.pid) || looking.has(p.pid)) continue;
        if (p.drvPath !== null && streamed(p.drvPath)) { unexplained.delete(p.pid); continue; }
        const n = (unexplained.get(p.pid) ?? 0) + 1;
        unexplained.set(p.pid, n);
        const parent = latest.get(p.ppid);
        // Past its patience a builder is looked up whatever stream may still come, but for one under `nix-btm run`.
        if (n >= PATIENCE ? parent === undefined || !underRun(parent, clientOfParent(parent)) : !mayStream(parent)) lookUp(p, now);
      }
      for (const pid of unexplained.keys()) if (!latest.has(pid)) unexplained.delete(pid);
      closeGoneClients(now);
    },
  };

  function closeGoneClients(now: number): void {
    for (const [source, c] of clients) {
      if (latest.get(c.pid)?.startedAt === c.startedAt) continue;
      if ([...tracked.values(), ...settling.keys()].some((t) => t.source === source)) continue;
      clients.delete(source);
      opts.publish({ kind: 'source-close', at: now, source, exitCode: null, reason: 'eof' });
    }
  }
}

/**
 * The .drv a builder builds: in its store (NIX_STORE), the `<hash>-<name>.drv` files of its NIX_BUILD_TOP name
 * whose outputs include the builder's own output paths. Null when none matches exactly.
 */
export async function findDrv(env: Environ, readDrv: (drvPath: string) => Promise<DrvParse>):
  Promise<{ drvPath: string; outputs: Record<string, string> } | null> {
  const store = env.get('NIX_STORE');
  const name = builderDrvName(env);
  const outs = builderOutputPaths(env);
  if (!store || !store.startsWith('/') || name === null || outs.length === 0) return null;
  const entries = await readdir(store);
  for (const entry of entries) {
    if (entry.length !== 33 + name.length || !entry.endsWith(name) || entry[32] !== '-') continue;
    const drvPath = `${store}/${entry}`;
    const r = await readDrv(drvPath);
    if (!r.ok) continue;
    const known = Object.values(r.info.outputs);
    if (outs.every((o) => known.includes(o))) return { drvPath, outputs: { ...r.info.outputs } };
  }
  return null;
}
