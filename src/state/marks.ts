// The one table of status marks (nom's where nom has one). The dashboard's rows and header, the widget and its
// report lines, `status`, `replay` and the manual all spell a status with these; tests/state/marks.test.ts fails
// when a file spells a mark of its own.
import type { DerivationStatus, Transfer } from './model.js';

/** A derivation's status. */
export const MARK: Readonly<Record<DerivationStatus, string>> = {
  planned: '⏸', waiting: '⧖', running: '⏵', built: '✔', substituted: '⇣', valid: '✓', failed: '✘', cancelled: '⊘',
  interrupted: '⚠',
};

/** A download (a substitution's transfer). */
export const TRANSFER_MARK: Readonly<Record<Transfer['status'], string>> = { running: '↓', done: '✔', interrupted: '⚠' };

/** The manual's legend, in the order a reader meets them. */
export function marksLegend(): string {
  return [`${MARK.running} running`, `${MARK.built} built`, `${MARK.substituted} substituted`, `${MARK.valid} already valid`,
    `${MARK.failed} failed`, `${MARK.planned} planned`, `${MARK.waiting} waiting`, `${TRANSFER_MARK.running} downloading`,
    `${MARK.cancelled} cancelled`, `${MARK.interrupted} interrupted`].join('  ');
}
