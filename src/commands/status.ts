// `nix-btm status [--json]`: the daemon's current state, as `replay --json` shows a saved log, plus processes and sources.
import type { CommandModule } from 'yargs';
import { hello, type Hello } from '../client/daemon-client.js';
import { clientRuntimeDir } from '../client/ensure.js';
import { pathsIn } from '../protocol/paths.js';
import type { DaemonInfo } from '../protocol/control.js';
import { stateReport } from '../state/report.js';
import { CliError } from './errors.js';
import { summaryTable } from './summary.js';
import { sanitize } from '../state/text.js';
import { connectionProblem } from '../client/connection-problem.js';

type Args = { 'runtime-dir'?: string; json: boolean; 'log-lines': number };

export const statusCommand: CommandModule<object, Args> = {
  command: 'status',
  describe: "Print the daemon's current state: derivations, processes, sources",
  builder: (y) => y
    .option('runtime-dir', { type: 'string', describe: "The daemon's runtime dir" })
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON document' })
    .option('log-lines', { type: 'number', default: 5, describe: 'Log lines per derivation in --json output' }) as never,
  handler: async (args) => {
    const dir = clientRuntimeDir(args['runtime-dir']);
    let h;
    const control = pathsIn(dir).control;
    try {
      h = await hello(control);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EACCES' || e.code === 'EPERM') throw new CliError(connectionProblem(e, control), 3);
      throw new CliError(`no nix-btm daemon answers in ${dir} (${e.message}); start one with 'nix-btm daemon'`, 3);
    }
    if (!args.json) {
      process.stdout.write(statusText(h, process.stdout.columns || 100));
      return;
    }
    const doc = statusDocument(h, args['log-lines']);
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  },
};

/** `status` without --json: the daemon, its sources (one line each), the Nix processes, then the builds. */
export function statusText({ state, daemon }: Hello, width: number): string {
  const out = [`daemon pid ${daemon.pid}, json-log-path = ${daemon.nixLogSocket}${daemon.socketActivated ? ' (socket-activated)' : ''}`];
  const left = leftFileLine(daemon);
  if (left !== null) out.push(left);
  out.push('', `sources (${state.jobs.size}):`);
  for (const j of state.jobs.values()) {
    out.push(`  ${j.status.padEnd(11)} ${j.info.via.padEnd(6)} pid ${String(j.info.pid ?? '?').padEnd(7)} ${(j.info.user ?? '?').padEnd(10)} ${j.info.command}`.slice(0, Math.max(40, width)));
  }
  const nix = state.processes.filter((p) => p.role !== 'other');
  out.push('', `Nix processes (${nix.length}):`);
  for (const p of nix) {
    out.push(`  ${String(p.pid).padStart(7)} ${p.user.padEnd(10)} ${p.role.padEnd(13)} ${p.command}`.slice(0, Math.max(40, width)));
  }
  out.push('');
  // Commands and user names come from peers: no control character reaches the terminal.
  return out.map((l) => sanitize(l)).join('\n') + '\n' + summaryTable(state, width);
}

/** Says that Nix wrote to a regular file at json-log-path while no daemon ran, and that the daemon read it. */
export function leftFileLine(daemon: DaemonInfo): string | null {
  const f = daemon.leftFile;
  if (!f) return null;
  const skipped = f.skippedBytes > 0 ? ` (only its last ${f.bytes - f.skippedBytes} bytes were read)` : '';
  return `at start (${new Date(f.takenAt).toISOString()}) the daemon took over a regular file of ${f.bytes} bytes at ${f.path}, ` +
    `written by Nix while no daemon ran: its builds are shown as a source "from the log file left ..."${skipped}`;
}

/** The `status --json` document: the state report plus the process forest, the sources and the daemon. */
export function statusDocument({ state, daemon, seq }: Hello, logLines: number): object {
  return {
    ...stateReport(state, { logTail: logLines }),
    processes: state.processes.map((p) => ({ pid: p.pid, ppid: p.ppid, user: p.user, uid: p.uid, role: p.role, state: p.state,
      drvPath: p.drvPath, cpu: p.cpuPercent, rss: p.rssBytes, startedAt: p.startedAt, command: p.command })),
    // pid/uid/user: who is behind the source; peer: a daemon worker's own connection (root), when it differs.
    sources: [...state.jobs.values()].map((j) => ({ source: j.source, via: j.info.via, pid: j.info.pid, uid: j.info.uid,
      user: j.info.user, command: j.info.command, status: j.status, peer: j.info.peer ?? null,
      attributedBy: j.info.attributedBy ?? null })),
    daemon, seq,
  };
}
