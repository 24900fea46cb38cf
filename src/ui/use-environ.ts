// The environment of the builder shown in the detail pane, asked of the daemon once per builder process.
import { useEffect, useState } from 'react';
import type { ProcessInfo } from '../state/events.js';
import type { EnvironLines } from './detail.js';
import type { Controller } from './feed.js';

export type EnvironView = { readonly pid: number; readonly lines: EnvironLines } | null;

export function useEnviron(controller: Controller, builder: ProcessInfo | null): EnvironView {
  const [view, setView] = useState<EnvironView>(null);
  const pid = builder?.pid ?? null;
  const startedAt = builder?.startedAt ?? null;
  useEffect(() => {
    if (pid === null || startedAt === null || !controller.environ) return;
    let current = true;
    controller.environ(pid, startedAt)
      .catch((err: unknown) => ({ ok: false as const, reason: err instanceof Error ? err.message : String(err) }))
      .then((r) => {
        if (!current) return;
        // A refusal (another user's build) is said as one, never listed as if it were the environment.
        setView({ pid, lines: r.ok ? { ok: true, lines: r.environ.map(([k, v]) => `  ${k}=${v}`) } : { ok: false, reason: r.reason } });
      });
    return () => { current = false; };
  }, [controller, pid, startedAt]);
  return view !== null && view.pid === pid ? view : null;
}
