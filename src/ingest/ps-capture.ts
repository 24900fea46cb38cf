// A recorded `ps -eo pid,ppid,user,pcpu,rss,etime,args --forest` capture (one `=== <epoch> <time>` block per sample)
// -> ProcessInfo snapshots. Demo ingest: the live /proc scanner produces the same ProcessInfo from /proc.
import type { ProcessInfo, ProcessRole } from '../state/events.js';
import type { NixRecord } from '../state/nix.js';
import { ActivityType } from '../state/nix.js';

/** One `=== <epoch> <time>` block: what ps saw at that instant. */
export type PsBlock = {
  /** ms since the epoch, from the block header. */
  readonly at: number;
  readonly rows: readonly PsRow[];
};

/** One ps row, forest markers removed. */
export type PsRow = {
  readonly pid: number;
  readonly ppid: number;
  readonly user: string;
  readonly cpuPercent: number;
  readonly rssBytes: number;
  readonly elapsedMs: number;
  readonly command: string;
  /** STAT and TIME, when the capture asked ps for them (`-o ...,stat,...,time,...`): the state letter, CPU ms. */
  readonly state?: string;
  readonly cpuTimeMs?: number;
};

const HEADER = /^=== (\d+(?:\.\d+)?)\b/;
const ROW = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+([\d.]+)\s+(\d+)\s+(\S+) (.*)$/;
// `ps -eo pid,ppid,user,stat,pcpu,rss,time,etime,args`: the column titles name STAT, and each row has two more fields.
const ROW_STAT = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+([\d.]+)\s+(\d+)\s+(\S+)\s+(\S+) (.*)$/;
const TITLES_STAT = /^\s*PID\s+PPID\s+USER\s+STAT\b/;
// `--forest` draws the tree in front of the command: spaces, `|` and one `\_ `.
const FOREST = /^[\s|]*(?:\\_ )?/;

/** Total: lines that are not a header or a row (the column titles, blanks) are skipped. */
export function parsePsCapture(text: string): PsBlock[] {
  const blocks: { at: number; rows: PsRow[] }[] = [];
  let withStat = false;
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header?.[1]) { blocks.push({ at: Math.round(Number(header[1]) * 1000), rows: [] }); continue; }
    if (/^\s*PID\s+PPID/.test(line)) { withStat = TITLES_STAT.test(line); continue; }
    if (withStat) {
      const r = statRow(line);
      if (r) blocks[blocks.length - 1]?.rows.push(r);
      continue;
    }
    const m = ROW.exec(line);
    const block = blocks[blocks.length - 1];
    if (!m || !block) continue;
    const elapsedMs = parseElapsed(m[6] ?? '');
    if (elapsedMs === null) continue;
    block.rows.push({
      pid: Number(m[1]), ppid: Number(m[2]), user: m[3] ?? '', cpuPercent: Number(m[4]),
      rssBytes: Number(m[5]) * 1024, elapsedMs, command: (m[7] ?? '').replace(FOREST, ''),
    });
  }
  return blocks;
}

function statRow(line: string): PsRow | null {
  const m = ROW_STAT.exec(line);
  if (!m) return null;
  const elapsedMs = parseElapsed(m[8] ?? '');
  const cpuTimeMs = parseElapsed(m[7] ?? '');
  if (elapsedMs === null) return null;
  return {
    pid: Number(m[1]), ppid: Number(m[2]), user: m[3] ?? '', state: (m[4] ?? '?').slice(0, 1), cpuPercent: Number(m[5]),
    rssBytes: Number(m[6]) * 1024, ...(cpuTimeMs !== null ? { cpuTimeMs } : {}), elapsedMs, command: (m[9] ?? '').replace(FOREST, ''),
  };
}

/** ps's ELAPSED and TIME: `[[dd-]hh:]mm:ss`. */
export function parseElapsed(s: string): number | null {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(s);
  if (!m) return null;
  const [, d, h, min, sec] = m;
  return (((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min)) * 60 + Number(sec)) * 1000;
}

const CLIENTS = new Set(['nix-build', 'nix', 'nix-store', 'nix-shell', 'nix-env', 'nix-instantiate', 'nix-collect-garbage']);
const BUILD_USER = /^nixbld\d+$/;

const argv0 = (command: string): string => {
  const first = command.split(' ', 1)[0] ?? '';
  return first.slice(first.lastIndexOf('/') + 1);
};

/** Role of each row; rows come in forest order, so a parent's role is known before its children's. */
export function roleOf(row: PsRow, parentRole: ProcessRole | undefined): ProcessRole {
  const name = argv0(row.command);
  if (name === 'nix-daemon') return row.ppid === 1 ? 'nix-daemon' : 'daemon-worker';
  if (BUILD_USER.test(row.user)) return parentRole === 'builder' || parentRole === 'builder-child' ? 'builder-child' : 'builder';
  if (CLIENTS.has(name)) return 'client';
  return 'other';
}

/** Which derivation each build user was given, in order, and each build user's uid, as Nix's -vvv log says. */
export type BuildUsers = {
  readonly drvsByUser: ReadonlyMap<string, readonly string[]>;
  readonly uidByUser: ReadonlyMap<string, number>;
};

export const noBuildUsers: BuildUsers = { drvsByUser: new Map(), uidByUser: new Map() };

/**
 * Ties builders to derivations from recorded data only: Nix 2.8 at -vvv logs "trying user 'nixbldN'" for the user it
 * takes, then "killing all processes running under uid 'U'", then starts the Build activity of the drv. The k-th builder
 * process of nixbldN seen by ps is the k-th drv that user was given. Without those messages (-v logs) nothing is tied.
 */
export function capturedProcesses(blocks: readonly PsBlock[], users: BuildUsers): ProcessInfo[][] {
  const taken = new Map<string, number>();
  const drvOfBuilder = new Map<number, string | null>();
  return blocks.map((block) => {
    const seen = new Map<number, { role: ProcessRole; drvPath: string | null; pgid: number }>();
    return block.rows.map((row) => {
      const parent = seen.get(row.ppid);
      const role = roleOf(row, parent?.role);
      let drvPath: string | null = null;
      // A builder is a session leader (nix-facts.md §2): its group is its own pid, its children inherit it.
      // ps was not asked for pgid, so for other processes it is unknown (0).
      let pgid = 0;
      if (role === 'builder') {
        if (!drvOfBuilder.has(row.pid)) {
          const k = taken.get(row.user) ?? 0;
          taken.set(row.user, k + 1);
          drvOfBuilder.set(row.pid, users.drvsByUser.get(row.user)?.[k] ?? null);
        }
        drvPath = drvOfBuilder.get(row.pid) ?? null;
        pgid = row.pid;
      } else if (role === 'builder-child') {
        drvPath = parent?.drvPath ?? null;
        pgid = parent?.pgid ?? 0;
      }
      seen.set(row.pid, { role, drvPath, pgid });
      return {
        pid: row.pid, ppid: row.ppid, pgid, uid: row.user === 'root' ? 0 : users.uidByUser.get(row.user) ?? -1, user: row.user,
        // Older captures did not ask ps for the state column: unknown there.
        state: row.state ?? '?', ...(row.cpuTimeMs !== undefined ? { cpuTimeMs: row.cpuTimeMs } : {}),
        cpuPercent: row.cpuPercent, rssBytes: row.rssBytes, startedAt: block.at - row.elapsedMs, command: row.command, role, drvPath,
      };
    });
  });
}

/** Reads the build-user messages of a -vvv log (decoded records, in order). */
export function buildUsersFromLog(records: readonly NixRecord[]): BuildUsers {
  const drvsByUser = new Map<string, string[]>();
  const uidByUser = new Map<string, number>();
  let tried: string | null = null;
  for (const rec of records) {
    if (rec.kind === 'msg') {
      const user = /^trying user '([^']+)'/.exec(rec.msg)?.[1];
      if (user) { tried = user; continue; }
      const uid = /^killing all processes running under uid '(\d+)'/.exec(rec.msg)?.[1];
      if (uid && tried && !uidByUser.has(tried)) uidByUser.set(tried, Number(uid));
    } else if (rec.kind === 'start' && rec.type === ActivityType.Build && tried) {
      const drv = rec.fields[0];
      if (typeof drv === 'string') drvsByUser.set(tried, [...(drvsByUser.get(tried) ?? []), drv]);
      tried = null;
    }
  }
  return { drvsByUser, uidByUser };
}
