// Column widths for the rows drawn: fitColumns over the widest content seen in this view at this width. The widest
// is kept (it only grows until the view or width changes), so columns do not jump as rows scroll past or change.
import { useRef } from 'react';
import { fitColumns } from './columns.js';
import type { Column, Row } from './rows.js';

export function naturalWidths(columns: readonly Column[], rows: readonly Row[]): number[] {
  const out = columns.map((c) => c.title.length + 1);
  for (const r of rows) {
    const cells = r.cells;
    for (let i = 0; i < out.length; i++) {
      const n = cells[i]?.length ?? 0;
      if (n > out[i]!) out[i] = n;
    }
  }
  return out;
}

type Memo = { key: string; natural: number[]; widths: readonly number[] };

export function useColumnWidths(view: string, columns: readonly Column[], rows: readonly Row[], width: number): readonly number[] {
  const memo = useRef<Memo | null>(null);
  const key = `${view}:${width}:${columns.map((c) => c.title).join('|')}`;
  const seen = naturalWidths(columns, rows);
  const last = memo.current;
  if (last && last.key === key && seen.every((n, i) => n <= (last.natural[i] ?? 0))) return last.widths;
  const natural = last && last.key === key ? seen.map((n, i) => Math.max(n, last.natural[i] ?? 0)) : seen;
  const widths = fitColumns(columns, width, natural).widths;
  memo.current = { key, natural, widths };
  return widths;
}
