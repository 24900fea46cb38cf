// /proc -> ProcessInfo[] + HostInfo for the daemon's 'proc-scan' event: the Nix process forest (or every process),
// CPU% from the previous scan, builders tied to their derivations.
import type { HostInfo, ProcessInfo } from '../state/events.js';
import { createBuilderTies, tieFromStore, type DrvCandidate, type Environ } from './builder-map.js';
import { createUserDbSource, defaultUserPaths, type UserDb, type UserPaths } from './build-users.js';
import { createHostSampler, readNixVersion, systemConstant } from './host-info.js';
import { createStartClock, startClock } from './proc-time.js';
import { buildCgroupParents, buildCgroupPids, findCgroup2Root, readCgroup2Path } from './proc-cgroup.js';
import { classifyForest, isClientProc, isDaemonProc, needsArgv, type ForestProc, type Placement } from './proc-forest.js';
import type { ProcStat } from './proc-parse.js';
import { listPids, readArgv, readStat, readUid } from './proc-read.js';

export type ProcScanOptions = {
  /** Every process, not only the Nix forest (the UI's "all processes" toggle); scan() can override it. */
  readonly all?: boolean;
  /** Clock ticks per second; default `getconf CLK_TCK` read once, else 100. */
  readonly clockTicks?: number;
  /** Default `getconf PAGESIZE` read once, else 4096. */
  readonly pageSize?: number;
  /** Default `nix --version` run once; null when Nix is absent. */
  readonly nixVersion?: string | null;
  readonly hostname?: string;
  readonly userPaths?: UserPaths;
  /** Where cgroup v2 may be mounted; null turns the build-cgroup check off. */
  readonly cgroupBase?: string | null;
  /** Derivations the daemon knows, for tying builders (drv-info outputs, Build activities' drvPaths). */
  readonly drvCandidates?: () => Iterable<DrvCandidate>;
  /** /proc/PID/environ reader (needs root for build users). */
  readonly readEnviron?: (pid: number) => Environ | null;
  /** Where a builder no log named is looked for (its .drv, `tieFromStore`): the store dirs the daemon trusts. */
  readonly storeDirs?: readonly string[];
};

export type ProcScan = { readonly processes: ProcessInfo[]; readonly host: HostInfo };

export type ProcScanner = {
  /** `now`: ms since the epoch, the time CPU% is measured against. */
  scan(now: number, all?: boolean): ProcScan;
  /**
   * The start environment of a builder (or of the builder above a builder-child) seen by the last scan.
   * It holds the derivation's attributes: the caller shows it only to root or the build's owner.
   */
  environ(pid: number): Environ | null;
  /** Whether a uid is a build user (build-users-group, auto-allocated range), as the scanner reads nix.conf. */
  isBuildUid(uid: number): boolean;
  /** The last scan's builders and builder-children: pid -> its builder's pid (a builder maps to itself). */
  builderOf(): ReadonlyMap<number, number>;
};

type Raw = { readonly stat: ProcStat; readonly uid: number; argv: string[] | null };
type UidMemo = { readonly startTicks: number; readonly comm: string; readonly uid: number };
type CpuMemo = { readonly startTicks: number; readonly ticks: number };

export function createProcScanner(opts: ProcScanOptions = {}): ProcScanner {
  // One start-time clock with the signal check (proc-time.ts), unless a test fixes the tick rate.
  const clock = opts.clockTicks === undefined ? startClock() : null;
  const clk = clock?.clockTicks ?? opts.clockTicks ?? 100;
  const page = opts.pageSize ?? systemConstant('PAGESIZE', 4096);
  const hostSampler = createHostSampler({
    hostname: opts.hostname, nixVersion: opts.nixVersion === undefined ? readNixVersion() : opts.nixVersion,
  });
  const users = createUserDbSource(opts.userPaths ?? defaultUserPaths);
  const cgroupRoot = opts.cgroupBase === null ? null : findCgroup2Root(opts.cgroupBase ?? undefined);
  const storeDirs = opts.storeDirs;
  const ties = createBuilderTies(opts.readEnviron, storeDirs ? (env) => tieFromStore(env, storeDirs) : undefined);
  const candidates = opts.drvCandidates ?? ((): DrvCandidate[] => []);
  let uidMemo = new Map<number, UidMemo>();
  let cpuMemo = new Map<number, CpuMemo>();
  let lastNow: number | null = null;
  let builderOf = new Map<number, number>();

  function scan(now: number, all = opts.all ?? false): ProcScan {
    const { host, bootTimeMs } = hostSampler.sample();
    const starts = clock ?? createStartClock(clk, bootTimeMs);
    const db = users();
    const raws = readAll(all);
    const cgroupPids = cgroupRoot === null ? new Set<number>() : findBuildPids(cgroupRoot, raws);
    const placements = classifyForest(raws.map(toForest), { isBuildUid: (u) => db.isBuildUid(u), cgroupPids }, all);
    const startedAt = (s: ProcStat): number => starts.startedAt(s.startTicks);
    const drvOf = tieBuilders(raws, placements, startedAt);
    const nextCpu = new Map<number, CpuMemo>();
    const processes: ProcessInfo[] = [];
    for (const r of raws) {
      const place = placements.get(r.stat.pid);
      if (place === undefined) continue;
      if (r.argv === null) r.argv = readArgv(r.stat.pid) ?? [];
      const cpuPercent = cpuOf(r.stat, startedAt(r.stat), now, host.cpuPercent.length);
      nextCpu.set(r.stat.pid, { startTicks: r.stat.startTicks, ticks: r.stat.ticks });
      processes.push(toInfo(r, place, db, cpuPercent, startedAt(r.stat), drvOf));
    }
    cpuMemo = nextCpu;
    lastNow = now;
    return { processes, host };
  }

  function readAll(all: boolean): Raw[] {
    const raws: Raw[] = [];
    const nextUid = new Map<number, UidMemo>();
    for (const pid of listPids()) {
      const got = readStat(pid);
      if (got === null) continue;
      const { stat } = got;
      const uid = got.owner !== 0 ? got.owner : rootOwnedUid(stat, nextUid);
      if (uid === null) continue;
      raws.push({ stat, uid, argv: all || needsArgv(stat.comm) ? readArgv(pid) : null });
    }
    uidMemo = nextUid;
    return raws;
  }

  /** Owner 0 is root or a non-dumpable process: status tells, once per pid + start + comm (exec changes comm). */
  function rootOwnedUid(stat: ProcStat, next: Map<number, UidMemo>): number | null {
    const memo = uidMemo.get(stat.pid);
    const uid = memo && memo.startTicks === stat.startTicks && memo.comm === stat.comm ? memo.uid : readUid(stat.pid);
    if (uid !== null) next.set(stat.pid, { startTicks: stat.startTicks, comm: stat.comm, uid });
    return uid;
  }

  function tieBuilders(raws: readonly Raw[], placements: Map<number, Placement>, startedAt: (s: ProcStat) => number):
      Map<number, string | null> {
    const drvOf = new Map<number, string | null>();
    builderOf = new Map();
    let parentOf: Map<number, number> | null = null;
    for (const r of raws) {
      const place = placements.get(r.stat.pid);
      if (place?.builderPid == null) continue;
      builderOf.set(r.stat.pid, place.builderPid);
      if (place.role !== 'builder') continue;
      parentOf ??= new Map(raws.map((x) => [x.stat.pid, x.stat.ppid]));
      drvOf.set(r.stat.pid, ties.tie(r.stat.pid, startedAt(r.stat), candidates, ancestorsOf(r.stat.pid, parentOf)));
    }
    ties.prune(new Set(drvOf.keys()));
    return drvOf;
  }

  /** Share of one core since the last scan; a process new since then is averaged over its life, as ps does. */
  function cpuOf(stat: ProcStat, startedAt: number, now: number, cores: number): number {
    const memo = cpuMemo.get(stat.pid);
    const since = memo !== undefined && memo.startTicks === stat.startTicks && lastNow !== null
      ? { at: lastNow, ticks: memo.ticks } : { at: startedAt, ticks: 0 };
    const ms = now - since.at;
    if (ms <= 0) return 0;
    const pct = (((stat.ticks - since.ticks) * 1000) / clk / ms) * 100;
    return Math.round(Math.min(Math.max(pct, 0), 100 * Math.max(cores, 1)) * 10) / 10;
  }

  function toInfo(r: Raw, place: Placement, db: UserDb, cpuPercent: number, startedAt: number,
      drvOf: Map<number, string | null>): ProcessInfo {
    const s = r.stat;
    return {
      pid: s.pid, ppid: s.ppid, pgid: s.pgid, uid: r.uid, user: db.userName(r.uid), state: s.state, cpuPercent,
      cpuTimeMs: Math.round((s.ticks * 1000) / clk), rssBytes: s.rssPages * page, startedAt, command: commandLine(r.argv, s.comm), role: place.role,
      drvPath: place.builderPid === null ? null : drvOf.get(place.builderPid) ?? null,
    };
  }

  return {
    scan,
    environ(pid) {
      const builder = builderOf.get(pid);
      return builder === undefined ? null : ties.environ(builder);
    },
    isBuildUid: (uid) => users().isBuildUid(uid),
    builderOf: () => builderOf,
  };
}

const toForest = (r: Raw): ForestProc => ({
  pid: r.stat.pid, ppid: r.stat.ppid, sid: r.stat.sid, uid: r.uid, comm: r.stat.comm, argv: r.argv,
});

/** Build cgroups sit beside the cgroup of a daemon or single-user client: only those few are looked at. */
function findBuildPids(root: string, raws: readonly Raw[]): Set<number> {
  const parents: string[] = [];
  for (const r of raws) {
    const p = { comm: r.stat.comm, argv: r.argv };
    if (!isDaemonProc(p) && !isClientProc(p)) continue;
    const own = readCgroup2Path(r.stat.pid);
    if (own !== null) parents.push(...buildCgroupParents(own));
  }
  return parents.length === 0 ? new Set() : buildCgroupPids(root, parents);
}

// Control characters (a title can carry escape sequences) are shown as spaces, like ps shows '?'.
function commandLine(argv: readonly string[] | null, comm: string): string {
  const line = argv && argv.length > 0 ? argv.join(' ') : `[${comm}]`;
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f]/.test(line) ? line.replace(/[\x00-\x1f\x7f]/g, ' ') : line;
}

/** The parent of `pid`, its parent, and so on up to init (a bounded walk: a pid table read mid-fork may loop). */
function ancestorsOf(pid: number, parentOf: ReadonlyMap<number, number>): Set<number> {
  const out = new Set<number>();
  let at = parentOf.get(pid);
  while (at !== undefined && at > 1 && !out.has(at) && out.size < 64) {
    out.add(at);
    at = parentOf.get(at);
  }
  return out;
}
