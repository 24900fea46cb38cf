// Expected durations of the builds on screen, asked of the history every few seconds for the names not known yet
// (and again after a minute), one request at a time; the history's trouble comes back for the status line.
import { useEffect, useRef, useState } from 'react';
import type { Estimate } from '../history/eta.js';
import type { HistoryQuery } from '../history/protocol.js';
import type { HistoryAnswer } from '../history/source.js';
import type { Job, State } from '../state/model.js';
import type { EtaTable } from './eta-column.js';

export type HistoryAsk = (q: HistoryQuery) => Promise<HistoryAnswer>;

export type EtaView = { readonly table: EtaTable | null; readonly error: string | null };

const REFRESH_MS = 60_000;

export function useEta(ask: HistoryAsk | undefined, state: State, everyMs = 2000): EtaView {
  const stateRef = useRef(state);
  stateRef.current = state;
  const known = useRef(new Map<string, { e: Estimate | null; at: number }>());
  const slots = useRef(new Map<string, number>());
  // With a history the LEFT column is there from the start, empty until the first answer: columns do not jump.
  const [view, setView] = useState<EtaView>({ table: ask ? makeTable(new Map(), new Map()) : null, error: null });
  useEffect(() => {
    if (!ask) return;
    let busy = false;
    let alive = true;
    let lastInfo = 0;
    const tick = (): void => {
      const s = stateRef.current;
      for (const j of s.jobs.values()) if (j.status === 'running') slots.current.set(j.source, Math.max(slots.current.get(j.source) ?? 1, j.progress.running));
      if (busy) return;
      const now = Date.now();
      const wanted: string[] = [];
      for (const d of s.derivations.values()) {
        if (d.status !== 'running' && d.status !== 'planned' && d.status !== 'waiting') continue;
        const k = known.current.get(d.name);
        if ((!k || now - k.at > REFRESH_MS) && !wanted.includes(d.name) && wanted.length < 500) wanted.push(d.name);
      }
      if (wanted.length === 0) {
        // Nothing to estimate: still ask how the history is, so a broken database shows on the status line.
        if (now - lastInfo < 5000) return;
        lastInfo = now;
        busy = true;
        void ask({ kind: 'info' }).then((r) => {
          busy = false;
          if (!alive) return;
          const error = r.ok ? r.historyError ?? (r.result as { error?: string | null }).error ?? null : r.reason;
          setView((v) => (v.error === error ? v : { ...v, error }));
        });
        return;
      }
      busy = true;
      void ask({ kind: 'eta', names: wanted }).then((r) => {
        busy = false;
        if (!alive) return;
        if (r.ok) {
          const got = r.result as Record<string, Estimate | null>;
          for (const n of wanted) known.current.set(n, { e: got[n] ?? null, at: now });
          if (known.current.size > 20_000) known.current.clear();
        }
        setView({ table: makeTable(known.current, slots.current), error: r.ok ? r.historyError : r.reason });
      });
    };
    tick();
    const timer = setInterval(tick, everyMs);
    return () => { alive = false; clearInterval(timer); };
  }, [ask, everyMs]);
  return view;
}

function makeTable(known: ReadonlyMap<string, { e: Estimate | null }>, slots: ReadonlyMap<string, number>): EtaTable {
  const snapshot = new Map([...known].map(([k, v]) => [k, v.e]));
  return {
    estimate: (name) => snapshot.get(name),
    slots: (job: Job) => Math.max(1, slots.get(job.source) ?? 1, job.progress.running),
  };
}
