// History queries asked of the daemon over the control socket; its worker answers them.
import type { HistoryQuery } from '../history/protocol.js';
import type { HistorySource } from '../history/source.js';
import { connectionProblem } from './connection-problem.js';
import { request } from './daemon-client.js';

export function daemonHistory(controlPath: string, timeoutMs = 30_000): HistorySource {
  return {
    where: `the daemon at ${controlPath}`,
    ask: async (query: HistoryQuery) => {
      try {
        const reply = await request(controlPath, { op: 'history', query }, timeoutMs);
        if (!reply.ok) return { ok: false, reason: reply.reason };
        return reply.op === 'history' ? { ok: true, result: reply.result, historyError: reply.historyError } : { ok: false, reason: `unexpected reply ${reply.op}` };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EACCES' || e.code === 'EPERM') return { ok: false, reason: connectionProblem(e, controlPath) };
        return { ok: false, reason: `the daemon did not answer: ${e.message}` };
      }
    },
    close: () => {},
  };
}
