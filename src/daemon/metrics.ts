// `nix-btm daemon --metrics`: Prometheus's /metrics, with prom-client, from the daemon's live state. Per event only a
// counter moves (O(1)); the tallies are read from the state when Prometheus scrapes. The log socket is read by its
// own thread (log-intake-worker.ts), so neither a scrape nor this server can delay Nix's writes.
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BtmEvent } from '../state/events.js';
import type { Derivation, State } from '../state/model.js';
import { parseDrvName } from '../history/drv-name.js';
import type { MetricsAddress } from './metrics-address.js';
import type { Publisher } from './publisher.js';
import { buildTally, userOf } from './build-tally.js';

export type MetricsOptions = {
  readonly address: MetricsAddress;
  readonly publisher: Publisher;
  /** Log-socket messages waiting on the main thread. */
  readonly backlog: () => number;
  readonly log: (line: string) => void;
  readonly host?: string;
};

export type Metrics = { readonly url: string; readonly close: () => Promise<void> };

const QUEUED: ReadonlySet<Derivation['status']> = new Set(['planned', 'waiting']);

export async function startMetrics(opts: MetricsOptions): Promise<Metrics> {
  const host = opts.host ?? hostname();
  const registry = new Registry();
  registry.setDefaultLabels({ host });
  const r = [registry];
  const events = new Counter({ name: 'nixbtm_events_total', help: 'Events the daemon reduced and published, by kind', labelNames: ['kind'], registers: r });
  const finished = new Counter({ name: 'nixbtm_builds_finished_total', help: 'Builds that ended, by user and outcome', labelNames: ['user', 'status'], registers: r });
  const duration = new Histogram({ name: 'nixbtm_build_duration_seconds', help: 'Wall-clock time of finished builds, by pname', labelNames: ['pname', 'status'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400], registers: r });
  const substituted = new Counter({ name: 'nixbtm_substituted_bytes_total', help: 'Bytes of finished substitutions and copies', registers: r });
  const tally = buildTally({
    finished: (user, status) => finished.inc({ user, status }),
    duration: (name, status, seconds) => duration.observe({ pname: parseDrvName(name).pname, status }, seconds),
    substituted: (bytes) => substituted.inc(bytes),
  });
  new Gauge({ name: 'nixbtm_builds', help: 'Builds now running or queued, by user', labelNames: ['user', 'status'], registers: r,
    collect() {
      const s = opts.publisher.current;
      tally(s);
      this.reset();
      for (const d of s.derivations.values()) {
        if (d.status === 'running') this.inc({ user: userOf(s, d), status: 'running' });
        else if (QUEUED.has(d.status)) this.inc({ user: userOf(s, d), status: 'queued' });
      }
    } });
  const perBuilder = (name: string, help: string, value: (p: State['processes'][number]) => number): Gauge => new Gauge({ name, help, labelNames: ['user', 'pname'], registers: r,
    collect() {
      const s = opts.publisher.current;
      this.reset();
      for (const p of s.processes) {
        if (!p.drvPath) continue;
        const d = s.derivations.get(p.drvPath);
        this.inc({ user: d ? userOf(s, d) : p.user, pname: parseDrvName(d?.name ?? s.drvInfo.get(p.drvPath)?.name ?? '?').pname }, value(p));
      }
    } });
  perBuilder('nixbtm_builder_cpu_percent', 'CPU of builder processes (100 = one core), summed per pname', (p) => p.cpuPercent);
  perBuilder('nixbtm_builder_memory_bytes', 'Resident memory of builder processes, summed per pname', (p) => p.rssBytes);
  health(r, opts);
  const observe = (e: BtmEvent): void => { events.inc({ kind: e.kind }); };
  const prev = opts.publisher.observer;
  // Beside the history's observer, never instead of it.
  opts.publisher.observer = (e, s) => { prev?.(e, s); observe(e); };
  const server = await listen(opts.address, registry, opts.log);
  return { url: `http://${opts.address.host.includes(':') ? `[${opts.address.host}]` : opts.address.host}:${opts.address.port}/metrics`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

function health(r: Registry[], opts: MetricsOptions): void {
  let last = { at: Date.now(), count: opts.publisher.current.eventCount };
  new Gauge({ name: 'nixbtm_events_per_second', help: 'Events reduced per second since the previous scrape', registers: r,
    collect() {
      const now = { at: Date.now(), count: opts.publisher.current.eventCount };
      const secs = (now.at - last.at) / 1000;
      if (secs > 0) this.set((now.count - last.count) / secs);
      last = now;
    } });
  new Gauge({ name: 'nixbtm_intake_backlog', help: 'Log-socket messages read from Nix but not yet reduced into the ring (the ring\'s lag behind Nix)', registers: r,
    collect() { this.set(opts.backlog()); } });
  new Gauge({ name: 'nixbtm_ring_next_seq', help: 'Sequence number of the next ring record (records published so far)', registers: r,
    collect() { this.set(opts.publisher.nextSeq); } });
  new Gauge({ name: 'nixbtm_wake_fifos', help: 'Wake FIFOs of ring readers (UIs): offered and not yet opened, or adopted (written after each burst)', labelNames: ['state'], registers: r,
    collect() {
      const w = opts.publisher.wakeFifos.wakeFifos;
      this.set({ state: 'offered' }, w.offered);
      this.set({ state: 'adopted' }, w.adopted);
    } });
  new Gauge({ name: 'nixbtm_dropped_records', help: 'Records the daemon could not take: refused events, undecodable log lines, messages dropped past the limit', labelNames: ['reason'], registers: r,
    collect() {
      const s = opts.publisher.current;
      this.set({ reason: 'refused-event' }, opts.publisher.refusedEvents);
      this.set({ reason: 'decode-error' }, s.decodeErrors);
      this.set({ reason: 'message-dropped' }, s.messagesDropped);
    } });
}

function listen(address: MetricsAddress, registry: Registry, log: (line: string) => void): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') { res.writeHead(404).end('only GET /metrics\n'); return; }
    registry.metrics().then((text) => { res.writeHead(200, { 'content-type': registry.contentType }).end(text); },
      (err: Error) => { log(`metrics: ${err.message}`); res.writeHead(500).end(); });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => { server.off('error', reject); server.on('error', (err) => log(`metrics server: ${err.message}`)); resolve(server); });
  });
}
