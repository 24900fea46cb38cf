// nix-output-monitor's build history ($XDG_STATE_HOME/nix-output-monitor/build-reports.csv): header
// "hostname,derivation name,utc time,build seconds", times as "%F %T" in UTC, "" for the local host, and nom's
// report name (the pname, or the name without its version). Imported as built derivations of one "nom import" job,
// keyed by host, name and time, so importing the same file again adds nothing.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DrvRow, JobRow } from './rows.js';
import type { HistoryStore } from './store.js';

export type NomReport = { readonly host: string; readonly name: string; readonly stoppedAt: number; readonly seconds: number };

export function nomCsvPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME || join(env.HOME ?? homedir(), '.local', 'state'), 'nix-output-monitor', 'build-reports.csv');
}

/** RFC 4180 fields of one line (cassava quotes fields holding commas or quotes). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') { v += '"'; i += 2; } else if (line[i] === '"') { i++; break; } else v += line[i++];
      }
      out.push(v);
      i++; // the comma
    } else {
      const next = line.indexOf(',', i);
      const end = next < 0 ? line.length : next;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?: ?UTC|Z)?$/;

/** The reports of a file, and the lines that could not be read (counted, never thrown). */
export function parseNomCsv(text: string): { reports: NomReport[]; bad: number } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const reports: NomReport[] = [];
  let bad = 0;
  let cols = { host: 0, name: 1, time: 2, secs: 3 };
  if (lines[0]?.startsWith('hostname,')) {
    const h = csvFields(lines.shift()!);
    cols = { host: h.indexOf('hostname'), name: h.indexOf('derivation name'), time: h.indexOf('utc time'), secs: h.indexOf('build seconds') };
    if (Object.values(cols).some((c) => c < 0)) return { reports, bad: lines.length + 1 };
  }
  for (const line of lines) {
    const f = csvFields(line);
    const m = TIME.exec(f[cols.time] ?? '');
    const seconds = Number(f[cols.secs]);
    const name = f[cols.name] ?? '';
    if (!m || !Number.isFinite(seconds) || seconds < 0 || name === '') { bad++; continue; }
    const stoppedAt = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
    reports.push({ host: f[cols.host] ?? '', name, stoppedAt, seconds });
  }
  return { reports, bad };
}

export function nomRows(file: string, reports: readonly NomReport[], localHost: string): { job: JobRow; drvs: DrvRow[] } {
  const key = `nom-import:${file}`;
  const first = Math.min(...reports.map((r) => r.stoppedAt - r.seconds * 1000));
  const last = Math.max(...reports.map((r) => r.stoppedAt));
  const job: JobRow = { key, via: 'nom-import', command: `import of ${file}`, user: null, uid: null, pid: null, host: localHost,
    relay: false, status: 'succeeded', exitCode: null, startedAt: first, stoppedAt: last, built: reports.length, failed: 0,
    cancelled: 0, substituted: 0, planned: 0, errors: 0 };
  const drvs = reports.map((r): DrvRow => {
    const host = r.host === '' ? localHost : r.host;
    return { jobKey: key, path: `${host}|${r.name}|${r.stoppedAt}`, name: r.name, substituted: false, host, status: 'built',
      reason: 'imported from nix-output-monitor', exitCode: null, startedAt: r.stoppedAt - r.seconds * 1000, stoppedAt: r.stoppedAt,
      durationMs: r.seconds * 1000, phases: null, peakProcs: null, cpuMs: null, peakRss: null, outputBytes: null, outputs: null };
  });
  return { job, drvs };
}

/** Imports the file when it exists and changed since the last import; returns how many reports it read. */
export function importNomCsvOnce(store: HistoryStore, file: string, localHost: string): { imported: number; bad: number } {
  let st;
  try { st = statSync(file); } catch { return { imported: 0, bad: 0 }; }
  const stamp = `${st.size}:${st.mtimeMs}`;
  const seen = store.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(`nom:${file}`);
  if (seen === stamp) return { imported: 0, bad: 0 };
  const { reports, bad } = parseNomCsv(readFileSync(file, 'utf8'));
  if (reports.length > 0) {
    const { job, drvs } = nomRows(file, reports, localHost);
    store.writeBatch({ jobs: [job], drvs });
  }
  store.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(`nom:${file}`, stamp);
  return { imported: reports.length, bad };
}
