// Small pure formatters shared by the rows and the header: durations, sizes, bars, fitting text into columns.
import { sanitize } from '../state/text.js';

/** 4.2s, 1m05s, 2h03m: short and fixed in meaning (the history's own formatter: one spelling of a duration). */
export { seconds as duration } from '../history/text.js';

/** htop's TIME+: CPU time as m:ss.cc, or hh:mm:ss from an hour on; '-' when the scan did not say. */
export function cpuTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '-';
  const cs = Math.floor(ms / 10);
  const s = Math.floor(cs / 100);
  const m = Math.floor(s / 60);
  if (m >= 60) return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return `${m}:${String(s % 60).padStart(2, '0')}.${String(cs % 100).padStart(2, '0')}`;
}

/** 1.5K, 23M, 1.2G (binary units, like htop). */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '-';
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)}${units[i]}`;
}

/** HH:MM:SS of an epoch time in the machine's time zone. */
export function clock(at: number | null): string {
  if (at === null) return '-';
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join(':');
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Cuts or pads to exactly `width` columns (one column per code point: the text we show is ASCII or narrow symbols). */
export function fitWidth(raw: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  // Peer text (command lines, log lines, environments) must not reach the terminal with its control characters.
  const text = sanitize(raw);
  // Without surrogate pairs the string's length is its count of code points: no array of characters needed.
  if (!SURROGATE.test(text)) {
    if (text.length > width) return width === 1 ? '…' : text.slice(0, width - 1) + '…';
    const pad = ' '.repeat(width - text.length);
    return align === 'right' ? pad + text : text + pad;
  }
  const chars = [...text];
  if (chars.length > width) return width === 1 ? '…' : chars.slice(0, width - 1).join('') + '…';
  const pad = ' '.repeat(width - chars.length);
  return align === 'right' ? pad + text : text + pad;
}

/** `[|||||     42%]` in `width` columns. */
export function bar(percent: number, width: number): string {
  const label = `${Math.round(percent)}%`;
  const inner = Math.max(1, width - 2);
  const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * inner);
  const body = ('|'.repeat(filled) + ' '.repeat(inner - filled)).split('');
  for (let i = 0; i < label.length && i < inner; i++) body[inner - label.length + i] = label[i] ?? ' ';
  return `[${body.join('')}]`;
}

export const oneLine = (s: string): string => s.replace(/[\r\n\t]+/g, ' ');
