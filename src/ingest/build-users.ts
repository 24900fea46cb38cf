// Who builds for Nix: members of `build-users-group`, and the uid range of auto-allocate-uids; plus uid -> user names.
import { readFileSync, statSync } from 'node:fs';

/** Nix's defaults on Linux (globals.hh): start-id 0x34000000, id-count 128 builds x 65536 uids. */
export const DEFAULT_START_ID = 872_415_232;
export const DEFAULT_ID_COUNT = 8_388_608;

export type UserPaths = { readonly nixConf: string; readonly passwd: string; readonly group: string };

export const defaultUserPaths: UserPaths = { nixConf: '/etc/nix/nix.conf', passwd: '/etc/passwd', group: '/etc/group' };

export type UserDb = {
  /** The `build-users-group` in force ("" when Nix builds as the calling user). */
  readonly buildGroup: string;
  /** Uids of the build users (group members and users whose primary group it is). */
  readonly buildUids: ReadonlySet<number>;
  /** auto-allocate-uids range, [first, first + count). */
  readonly autoRange: readonly [number, number];
  userName(uid: number): string;
  isBuildUid(uid: number): boolean;
};

/** `key = value` lines; `#` starts a comment; include directives are not followed. */
export function parseNixConf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

type Passwd = { readonly name: string; readonly uid: number; readonly gid: number };

export function parsePasswd(text: string): Passwd[] {
  const users: Passwd[] = [];
  for (const line of text.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid)) {
      users.push({ name, uid: Number(uid), gid: Number(gid) });
    }
  }
  return users;
}

/** The gid and member names of one group, or null when /etc/group does not list it. */
export function findGroup(text: string, group: string): { gid: number; members: string[] } | null {
  for (const line of text.split('\n')) {
    const [name, , gid, members] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) {
      return { gid: Number(gid), members: (members ?? '').split(',').map((m) => m.trim()).filter(Boolean) };
    }
  }
  return null;
}

export function makeUserDb(nixConf: string, passwd: string, group: string): UserDb {
  const conf = parseNixConf(nixConf);
  // Nix's default for a root daemon is "nixbld"; an explicit empty value means no build users.
  const buildGroup = conf.get('build-users-group') ?? 'nixbld';
  const users = parsePasswd(passwd);
  const names = new Map<number, string>();
  for (const u of users) if (!names.has(u.uid)) names.set(u.uid, u.name);
  const buildUids = new Set<number>();
  const grp = buildGroup === '' ? null : findGroup(group, buildGroup);
  if (grp) {
    const members = new Set(grp.members);
    for (const u of users) if (u.gid === grp.gid || members.has(u.name)) buildUids.add(u.uid);
  }
  const start = intSetting(conf.get('start-id'), DEFAULT_START_ID);
  const count = intSetting(conf.get('id-count'), DEFAULT_ID_COUNT);
  const autoRange: [number, number] = [start, start + count];
  return {
    buildGroup, buildUids, autoRange,
    userName: (uid) => names.get(uid) ?? String(uid),
    isBuildUid: (uid) => buildUids.has(uid) || (uid >= start && uid < start + count),
  };
}

function intSetting(v: string | undefined, fallback: number): number {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : fallback;
}

/** Reads the three files again only when one of their mtimes (or presence) changed; absent files count as empty. */
export function createUserDbSource(paths: UserPaths = defaultUserPaths): () => UserDb {
  let key = '';
  let db: UserDb | null = null;
  return () => {
    const now = [paths.nixConf, paths.passwd, paths.group].map(mtimeKey).join('|');
    if (db === null || now !== key) {
      db = makeUserDb(readOr(paths.nixConf), readOr(paths.passwd), readOr(paths.group));
      key = now;
    }
    return db;
  };
}

function mtimeKey(path: string): string {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return '-';
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
