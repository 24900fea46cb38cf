// nom's build-reports.csv, written in nom's own format: the header nom writes (csvHeaderHost, csvHeaderDrvName,
// csvHeaderEndTime, csvHeaderBuildSecs), times as "%F %T" UTC, "" for the local host, cassava's quoting.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvFields, importNomCsvOnce, nomCsvPath, parseNomCsv } from '../../src/history/nom-import.js';
import { HistoryQueries } from '../../src/history/queries.js';
import { openHistory } from '../../src/history/schema.js';
import { HistoryStore } from '../../src/history/store.js';

const CSV = [
  'hostname,derivation name,utc time,build seconds',
  ',hello,2024-05-01 10:00:00,12',
  ',hello,2024-05-02 10:00:00,14',
  ',hello,2024-05-03 10:00:00,13',
  'builder.example.org,"weird,name",2024-05-03 11:00:00,40',
  ',broken,not a time,3',
  '',
].join('\n');

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'btm-nom-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("nom's build-reports.csv", () => {
  it('finds the file where nom keeps it', () => {
    expect(nomCsvPath({ XDG_STATE_HOME: '/s' })).toBe('/s/nix-output-monitor/build-reports.csv');
    expect(nomCsvPath({ HOME: '/home/u' })).toBe('/home/u/.local/state/nix-output-monitor/build-reports.csv');
  });

  it('reads quoted fields and counts unreadable lines', () => {
    expect(csvFields('a,"b,""c""",d')).toEqual(['a', 'b,"c"', 'd']);
    const { reports, bad } = parseNomCsv(CSV);
    expect(bad).toBe(1);
    expect(reports).toHaveLength(4);
    expect(reports[3]).toEqual({ host: 'builder.example.org', name: 'weird,name', stoppedAt: Date.UTC(2024, 4, 3, 11), seconds: 40 });
  });

  it('imports once, and gives ETAs from it', () => {
    const csv = join(dir, 'build-reports.csv');
    writeFileSync(csv, CSV);
    const db = openHistory(join(dir, 'h.sqlite'));
    const store = new HistoryStore(db);
    expect(importNomCsvOnce(store, csv, 'here')).toEqual({ imported: 4, bad: 1 });
    expect(importNomCsvOnce(store, csv, 'here')).toEqual({ imported: 0, bad: 0 });
    // Touched (nom rewrote it): read again, and still no duplicates.
    writeFileSync(csv, CSV + ',hello,2024-05-04 10:00:00,100\n');
    expect(importNomCsvOnce(store, csv, 'here').imported).toBe(5);
    expect(db.prepare('SELECT COUNT(*) FROM derivations').pluck().get()).toBe(5);
    const q = new HistoryQueries(db);
    // nom keys its reports by pname: a running hello-2.12 gets their median through "other versions".
    expect(q.eta(['hello-2.12'], 'here')['hello-2.12']).toEqual({ ms: 13_500, basis: 'other versions, this host', samples: 4 });
    expect(q.jobs()[0]).toMatchObject({ via: 'nom-import', built: 5 });
    db.close();
  });
});
