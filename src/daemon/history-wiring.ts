// The daemon's history: started next to the publisher (every reduced event is observed), and the control socket's
// `history` request, checked and relayed to the worker. With --no-history neither exists and requests say so.
import { parseQuery } from '../history/protocol.js';
import type { Retention } from '../history/retention.js';
import { HistoryWriter } from '../history/writer.js';
import type { Reply } from '../protocol/control.js';
import type { Publisher } from './publisher.js';

export type HistoryOptions = { readonly path: string; readonly retention: Retention; readonly nomCsv: string | null };

export function startHistory(opts: HistoryOptions | null, publisher: Publisher, startedAt: number, log: (line: string) => void): HistoryWriter | null {
  if (!opts) { log('history: off (--no-history)'); return null; }
  try {
    const writer = new HistoryWriter({ ...opts, daemonKey: `${startedAt}.${process.pid}`, current: () => publisher.current, log });
    publisher.observer = (event, state) => writer.observe(event, state);
    log(`history: ${opts.path}`);
    return writer;
  } catch (err) {
    // The live view never depends on the history: a worker that cannot start leaves the daemon as with --no-history.
    log(`history: cannot start (${(err as Error).message}); running without it`);
    return null;
  }
}

export function historyRequest(send: (reply: Reply) => void, history: HistoryWriter | null, msg: { query?: unknown }): void {
  const fail = (reason: string): void => { send({ ok: false, op: 'history', reason }); };
  if (!history) return fail('this daemon keeps no history (started with --no-history)');
  const q = parseQuery(msg.query);
  if (typeof q === 'string') return fail(`bad history query: ${q}`);
  void history.query(q).then((r) => {
    if (r.ok) send({ ok: true, op: 'history', result: r.result, historyError: history.error });
    else fail(r.reason);
  });
}
