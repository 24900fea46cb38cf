// Expected durations for the widget's ETA: every few seconds the history is asked about the names of unfinished
// builds not known yet, one request at a time (the dashboard's use-eta.ts does the same inside React).
import type { Estimate } from '../history/eta.js';
import type { HistorySource } from '../history/source.js';
import type { Job, State } from '../state/model.js';
import type { EtaTable } from '../ui/eta-column.js';

export type EtaPoll = { readonly table: () => EtaTable | null; poll(state: State): void; close(): void };

export function createEtaPoll(source: HistorySource | null, everyMs = 2000): EtaPoll {
  const known = new Map<string, Estimate | null>();
  let table: EtaTable | null = null;
  let busy = false;
  let last = 0;
  let dead = source === null;
  const slots = new Map<string, number>();
  return {
    table: () => table,
    poll(state) {
      const now = Date.now();
      if (dead || busy || now - last < everyMs) return;
      last = now;
      for (const j of state.jobs.values()) slots.set(j.source, Math.max(slots.get(j.source) ?? 1, j.progress.running));
      const wanted: string[] = [];
      for (const d of state.derivations.values()) {
        if ((d.status === 'running' || d.status === 'planned' || d.status === 'waiting') && !known.has(d.name) && !wanted.includes(d.name)) wanted.push(d.name);
        if (wanted.length >= 500) break;
      }
      if (wanted.length === 0) return;
      busy = true;
      void source!.ask({ kind: 'eta', names: wanted }).then((r) => {
        busy = false;
        // No history here (no daemon, no file): stop asking; the widget simply has no ETA.
        if (!r.ok) { dead = true; return; }
        const got = r.result as Record<string, Estimate | null>;
        for (const n of wanted) known.set(n, got[n] ?? null);
        const snapshot = new Map(known);
        table = { estimate: (name) => snapshot.get(name), slots: (job: Job) => Math.max(1, slots.get(job.source) ?? 1, job.progress.running) };
      }, () => { busy = false; dead = true; });
    },
    close: () => { dead = true; source?.close(); },
  };
}
