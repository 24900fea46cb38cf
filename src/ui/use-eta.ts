// Expected durations of the builds on screen, asked of the history every few seconds for the names not known yet
// (and again after a minute), one request at a time; the history's trouble comes back for the status line. With
// several machines, each host's builds are estimated from that host's own history (`useFleetEta`).
import { useEffect, useRef, useState } from 'react';
import type { Estimate } from '../history/eta.js';
import type { HistoryQuery } from '../history/protocol.js';
import type { HistoryAnswer } from '../history/source.js';
import type { Job, State } from '../state/model.js';
import { initialState } from '../state/reducer.js';
import { buildSlots } from '../history/slots.js';
import type { EtaTable } from './eta-column.js';
import type { FleetHistory } from './fleet-history.js';
import type { HostView } from './fleet-store.js';
import { configuredMaxJobs, cores } from './max-jobs.js';

export type HistoryAsk = (q: HistoryQuery) => Promise<HistoryAnswer>;

export type EtaView = { readonly table: EtaTable | null; readonly error: string | null };

const REFRESH_MS = 60_000;

type Loop = { readonly tick: () => void; readonly stop: () => void };

/**
 * One history's estimates for one state's builds. `info`: with nothing to estimate, still ask how the history is
 * (this machine's status line); another machine's history trouble is its History row's business.
 */
function etaLoop(ask: HistoryAsk, stateNow: () => State, set: (f: (v: EtaView) => EtaView) => void, info: boolean): Loop {
  const known = new Map<string, { e: Estimate | null; at: number }>();
  const slots = new Map<string, number>();
  let busy = false;
  let alive = true;
  let lastInfo = 0;
  let lastEvents = 0;
  // Bumped when the estimates are dropped: an answer to a question asked before (of the old history) is not kept.
  let generation = 0;
  const tick = (): void => {
    const s = stateNow();
    // A state that went back (another daemon's snapshot, after a restart or a reconnect elsewhere) may come with
    // another history: ask again rather than keep its predecessor's estimates for a minute.
    if (s.eventCount < lastEvents) { known.clear(); generation++; busy = false; }
    lastEvents = s.eventCount;
    for (const j of s.jobs.values()) if (j.status === 'running') slots.set(j.source, Math.max(slots.get(j.source) ?? 1, j.progress.running));
    if (busy) return;
    const now = Date.now();
    const wanted: string[] = [];
    for (const d of s.derivations.values()) {
      if (d.status !== 'running' && d.status !== 'planned' && d.status !== 'waiting') continue;
      const k = known.get(d.name);
      if ((!k || now - k.at > REFRESH_MS) && !wanted.includes(d.name) && wanted.length < 500) wanted.push(d.name);
    }
    if (wanted.length === 0) {
      if (!info || now - lastInfo < 5000) return;
      lastInfo = now;
      busy = true;
      const askedInfo = generation;
      void ask({ kind: 'info' }).then((r) => {
        if (askedInfo !== generation) return;
        busy = false;
        if (!alive) return;
        const error = r.ok ? r.historyError ?? (r.result as { error?: string | null }).error ?? null : r.reason;
        set((v) => (v.error === error ? v : { ...v, error }));
      });
      return;
    }
    busy = true;
    const asked = generation;
    void ask({ kind: 'eta', names: wanted }).then((r) => {
      if (asked !== generation) return;
      busy = false;
      if (!alive) return;
      if (r.ok) {
        const got = r.result as Record<string, Estimate | null>;
        for (const n of wanted) known.set(n, { e: got[n] ?? null, at: now });
        if (known.size > 20_000) known.clear();
      }
      const table = makeTable(known, slots);
      set(() => ({ table, error: r.ok ? r.historyError : r.reason }));
    });
  };
  return { tick, stop: () => { alive = false; } };
}

export function useEta(ask: HistoryAsk | undefined, state: State, everyMs = 2000): EtaView {
  const stateRef = useRef(state);
  stateRef.current = state;
  // With a history the LEFT column is there from the start, empty until the first answer: columns do not jump.
  const [view, setView] = useState<EtaView>({ table: ask ? makeTable(new Map(), new Map()) : null, error: null });
  useEffect(() => {
    if (!ask) return;
    const loop = etaLoop(ask, () => stateRef.current, setView, true);
    loop.tick();
    const timer = setInterval(loop.tick, everyMs);
    return () => { loop.stop(); clearInterval(timer); };
  }, [ask, everyMs]);
  return view;
}

/**
 * Several machines: each host's estimates from its own history (a remote one through its proxy, answers checked by
 * kind), so a build on builder1 is timed by builder1's past builds. A host whose history does not answer has no
 * estimates (its LEFT cells stay empty): never another machine's figures in its rows.
 */
export function useFleetEta(fleetHistory: FleetHistory | undefined, hosts: readonly HostView[] | null, everyMs = 2000): ReadonlyMap<string, EtaTable> | null {
  const hostsRef = useRef(hosts);
  hostsRef.current = hosts;
  const names = hosts ? hosts.map((h) => h.name).join('\u0000') : '';
  const [tables, setTables] = useState<ReadonlyMap<string, EtaTable> | null>(null);
  useEffect(() => {
    if (!fleetHistory || names === '') { setTables(null); return; }
    const empty = makeTable(new Map(), new Map());
    const current = new Map<string, EtaTable>(names.split('\u0000').map((n) => [n, empty]));
    setTables(new Map(current));
    const loops = [...current.keys()].map((name) => {
      let view: EtaView = { table: empty, error: null };
      const stateOf = (): State => hostsRef.current?.find((h) => h.name === name)?.state ?? EMPTY_STATE;
      return etaLoop((q) => fleetHistory.ask(name, q), stateOf, (f) => {
        view = f(view);
        if (view.table && current.get(name) !== view.table) { current.set(name, view.table); setTables(new Map(current)); }
      }, false);
    });
    const tick = (): void => { for (const l of loops) l.tick(); };
    tick();
    const timer = setInterval(tick, everyMs);
    return () => { for (const l of loops) l.stop(); clearInterval(timer); };
  }, [fleetHistory, names, everyMs]);
  return tables;
}

const EMPTY_STATE = initialState();

function makeTable(known: ReadonlyMap<string, { e: Estimate | null }>, slots: ReadonlyMap<string, number>): EtaTable {
  const snapshot = new Map([...known].map(([k, v]) => [k, v.e]));
  return {
    estimate: (name) => snapshot.get(name),
    // max-jobs as the job's command or nix.conf says, or more if more were seen running at once.
    slots: (job: Job) => buildSlots(job.info.command, configuredMaxJobs(), Math.max(slots.get(job.source) ?? 1, job.progress.running), cores()),
  };
}
