// A history answer that came from another machine (`nix-btm --host`, through its proxy), checked against the query
// it answers before any view reads it: a remote nix-btm is a peer like any other. Each answer is rebuilt field by
// field from what is expected (unknown fields are dropped, strings and lists bounded), or refused with a reason.
import type { Stats } from './analytics.js';
import type { HistoryQuery } from './protocol.js';
import type { DrvSummary, JobSummary } from './queries.js';
import type { EtaBasis, Estimate } from './eta.js';

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Bounds no honest answer comes near (the UI asks for 500 jobs; a job answer carries at most 2,000 pasts). */
const MAX_TEXT = 64 << 10;
const MAX_LIST = 20_000;

class Bad extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, what: string): Record<string, unknown> {
  if (!isObject(v)) throw new Bad(`${what} is not an object`);
  return v;
}
function list(v: unknown, what: string, max = MAX_LIST): unknown[] {
  if (!Array.isArray(v)) throw new Bad(`${what} is not a list`);
  if (v.length > max) throw new Bad(`${what} has ${v.length} entries (at most ${max})`);
  return v;
}
function text(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Bad(`${what} is not text`);
  if (v.length > MAX_TEXT) throw new Bad(`${what} is ${v.length} characters long`);
  return v;
}
function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Bad(`${what} is not a number`);
  return v;
}
const numOrNull = (v: unknown, what: string): number | null => (v === null ? null : num(v, what));
const textOrNull = (v: unknown, what: string): string | null => (v === null ? null : text(v, what));

function job(v: unknown, at: string): JobSummary {
  const j = obj(v, at);
  const f = (k: string): string => `${at}.${k}`;
  return {
    id: num(j.id, f('id')), startedAt: numOrNull(j.startedAt, f('startedAt')), stoppedAt: numOrNull(j.stoppedAt, f('stoppedAt')),
    durationMs: numOrNull(j.durationMs, f('durationMs')), user: textOrNull(j.user, f('user')), uid: numOrNull(j.uid, f('uid')),
    command: text(j.command, f('command')), via: text(j.via, f('via')), host: text(j.host, f('host')), status: text(j.status, f('status')),
    exitCode: numOrNull(j.exitCode, f('exitCode')), built: num(j.built, f('built')), failed: num(j.failed, f('failed')),
    cancelled: num(j.cancelled, f('cancelled')), substituted: num(j.substituted, f('substituted')), planned: num(j.planned, f('planned')),
    errors: num(j.errors, f('errors')),
  };
}

function drv(v: unknown, at: string): DrvSummary {
  const d = obj(v, at);
  const f = (k: string): string => `${at}.${k}`;
  if (typeof d.substituted !== 'boolean') throw new Bad(`${f('substituted')} is not true or false`);
  const phases = list(d.phases, f('phases'), 1000).map((p, i): [string, number] => {
    const pair = list(p, `${f('phases')}[${i}]`, 2);
    return [text(pair[0], `${f('phases')}[${i}][0]`), num(pair[1], `${f('phases')}[${i}][1]`)];
  });
  const past = d.past === undefined ? undefined : list(d.past, f('past'), 1000).map((ms, i) => num(ms, `${f('past')}[${i}]`));
  return {
    path: text(d.path, f('path')), name: text(d.name, f('name')), pname: text(d.pname, f('pname')), version: text(d.version, f('version')),
    host: text(d.host, f('host')), substituted: d.substituted, status: text(d.status, f('status')), reason: textOrNull(d.reason, f('reason')),
    exitCode: numOrNull(d.exitCode, f('exitCode')), startedAt: numOrNull(d.startedAt, f('startedAt')), stoppedAt: numOrNull(d.stoppedAt, f('stoppedAt')),
    durationMs: numOrNull(d.durationMs, f('durationMs')), phases, peakProcs: numOrNull(d.peakProcs, f('peakProcs')),
    cpuMs: numOrNull(d.cpuMs, f('cpuMs')), peakRss: numOrNull(d.peakRss, f('peakRss')), outputBytes: numOrNull(d.outputBytes, f('outputBytes')),
    ...(past ? { past } : {}),
  };
}

function stats(v: unknown): Stats {
  const s = obj(v, 'stats');
  const rows = <T>(k: string, one: (r: Record<string, unknown>, at: string) => T): T[] =>
    list(s[k], `stats.${k}`, 1000).map((r, i) => one(obj(r, `stats.${k}[${i}]`), `stats.${k}[${i}]`));
  const c = obj(s.cache, 'stats.cache');
  return {
    since: numOrNull(s.since ?? null, 'stats.since'),
    slowest: rows('slowest', (r, at) => ({ name: text(r.name, `${at}.name`), builds: num(r.builds, `${at}.builds`), meanMs: num(r.meanMs, `${at}.meanMs`), maxMs: num(r.maxMs, `${at}.maxMs`) })),
    rebuilt: rows('rebuilt', (r, at) => ({ name: text(r.name, `${at}.name`), drvs: num(r.drvs, `${at}.drvs`), builds: num(r.builds, `${at}.builds`) })),
    failureRate: rows('failureRate', (r, at) => ({ pname: text(r.pname, `${at}.pname`), builds: num(r.builds, `${at}.builds`), failed: num(r.failed, `${at}.failed`), rate: num(r.rate, `${at}.rate`) })),
    perDay: rows('perDay', (r, at) => ({ day: text(r.day, `${at}.day`).slice(0, 10), builds: num(r.builds, `${at}.builds`), buildMs: num(r.buildMs, `${at}.buildMs`) })),
    cache: { substituted: num(c.substituted, 'stats.cache.substituted'), built: num(c.built, 'stats.cache.built'), share: numOrNull(c.share, 'stats.cache.share') },
  };
}

const BASES: ReadonlySet<string> = new Set<EtaBasis>(['same version, this host', 'same version, other hosts', 'other versions, this host', 'other versions, other hosts']);

/** The asked names only, each an estimate or null; an object without a prototype, so no name reaches Object's. */
function estimates(names: readonly string[], v: unknown): Record<string, Estimate | null> {
  const r = obj(v, 'the estimates');
  const out = Object.create(null) as Record<string, Estimate | null>;
  for (const n of names) {
    const e = Object.hasOwn(r, n) ? r[n] : null;
    if (e === null || e === undefined) { out[n] = null; continue; }
    const o = obj(e, `estimate of ${n.slice(0, 80)}`);
    const basis = text(o.basis, 'basis');
    if (!BASES.has(basis)) throw new Bad(`an estimate on an unknown basis ${JSON.stringify(basis.slice(0, 40))}`);
    out[n] = { ms: num(o.ms, 'estimate.ms'), basis: basis as EtaBasis, samples: num(o.samples, 'estimate.samples') };
  }
  return out;
}

/** The answer to `q`, rebuilt from `result` when it has the shape `q`'s answer has. */
export function checkAnswer(q: HistoryQuery, result: unknown): Checked<unknown> {
  try {
    switch (q.kind) {
      case 'jobs': return { ok: true, value: list(result, 'the jobs').map((j, i) => job(j, `jobs[${i}]`)) };
      case 'job': {
        if (result === null) return { ok: true, value: null };
        const r = obj(result, 'the job answer');
        return { ok: true, value: { job: job(r.job, 'job'), derivations: list(r.derivations, 'derivations').map((d, i) => drv(d, `derivations[${i}]`)) } };
      }
      case 'stats': return { ok: true, value: stats(result) };
      case 'series': return { ok: true, value: list(result, 'the series').map((p, i) => {
        const o = obj(p, `series[${i}]`);
        return { at: num(o.at, `series[${i}].at`), ms: num(o.ms, `series[${i}].ms`), host: text(o.host, `series[${i}].host`) };
      }) };
      case 'eta': return { ok: true, value: estimates(q.names, result) };
      default: return { ok: false, reason: `${q.kind} answers are not read from other hosts` };
    }
  } catch (err) {
    if (err instanceof Bad) return { ok: false, reason: err.message };
    throw err;
  }
}
