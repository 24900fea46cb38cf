// The watched build (issue 15) on a real capture, with a fake clock: what reaches the terminal in each mode.
/* eslint-disable no-control-regex -- the assertions are about escape sequences */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBuildView, type ViewMode } from '../../src/widget/session.js';
import { createInlineWriter } from '../../src/widget/inline-writer.js';
import { stripAnsi } from '../../src/state/text.js';
import { root } from '../helpers.js';

const CAPTURE = join(root, 'tests/fixtures/captures/log-daemon-root-graph-fail-libgamma-keep-going.jsonl');
const SINGLE = join(root, 'tests/fixtures/captures/log-singleuser-graph-fail-libgamma.jsonl');
const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');

/** A terminal-like stream that keeps every write separately. */
function terminal(columns = 100, rows = 30): { out: NodeJS.WriteStream; writes: string[]; all: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & { columns: number; rows: number; isTTY: boolean };
  const writes: string[] = [];
  s.columns = columns;
  s.rows = rows;
  s.isTTY = true;
  s.write = ((chunk: string) => { writes.push(String(chunk)); return true; }) as never;
  return { out: s, writes, all: () => writes.join('') };
}

function play(mode: ViewMode, path = CAPTURE): { writes: string[]; all: string } {
  const t = terminal();
  const view = createBuildView({ out: t.out, mode, command: 'nix-build graph.nix', clock: () => Date.now() });
  for (const l of lines(path)) { view.line(l); vi.advanceTimersByTime(20); }
  view.end(1);
  return { writes: t.writes, all: t.all() };
}

beforeEach(() => { vi.useFakeTimers({ now: 1_700_000_000_000 }); });
afterEach(() => { vi.useRealTimers(); });

describe('widget mode', () => {
  it('prints Nix\'s errors above the widget in order, never inside a frame, and ends with the summary', () => {
    const { writes, all } = play('widget');
    const errors = writes.filter((w) => w.includes('error: '));
    // Each error write erases the widget first and carries whole lines only.
    for (const w of errors) expect(w).toMatch(/^(\u001b\[\d+A)?\r\u001b\[J[^\u001b]*\n$/s);
    const order = ['libgamma-1.4.0.drv\' failed with exit code 2', 'svc-worker-2.0.drv\' failed to build', 'bundle-server-2.0.drv\' failed to build', 'release-2.0.drv\' failed to build'];
    const at = order.map((t) => all.indexOf(t));
    expect(at.every((x) => x >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const text = stripAnsi(all);
    expect(text).toContain('┗━ ∑');
    expect(text).toContain('✘ libgamma-1.4.0 builder failed with exit code 2');
    expect(all).toMatch(/nix-btm: took \d+s; slowest: libdelta-7\.0 \d+s, /);
    expect(all).toContain('nix-btm: 9 built, 1 failed, 3 cancelled, 0 interrupted\nnix-btm: ✘ libgamma-1.4.0: builder failed with exit code 2\n');
    // The cursor is given back.
    expect(all.lastIndexOf('\u001b[?25h')).toBeGreaterThan(all.lastIndexOf('\u001b[?25l'));
  });

  it('redraws at most every 60 ms, and rewrites only the lines that changed', () => {
    const t = terminal();
    const view = createBuildView({ out: t.out, mode: 'widget', command: 'x', clock: () => Date.now() });
    const all = lines(CAPTURE);
    // 200 lines at once (one read of Nix's pipe): one frame, not 200.
    for (const l of all.slice(0, 200)) view.line(l);
    vi.advanceTimersByTime(61);
    const frames = t.writes.filter((w) => w.includes('┗━'));
    expect(frames.length).toBe(1);
    const before = t.writes.length;
    // Nothing new: the heartbeat redraws the spinner (the summary line) and nothing else.
    vi.advanceTimersByTime(200);
    const beat = t.writes.slice(before).join('');
    expect(beat.split('\u001b[2K').length - 1).toBe(1);
    expect(beat).toContain('∑');
    view.end(0);
  });

  it('prints the failed build\'s log tail when Nix did not (single-user Nix 2.8)', () => {
    const { all } = play('widget', SINGLE);
    expect(all).toMatch(/failed with exit code 2\n[^]*last \d+ log lines of libgamma-1\.4\.0:\n( {2}> .*\n)* {2}> make: \*\*\* \[Makefile:88: libgamma\/part_2\.o\] Error 1\n/);
  });
});

describe('plain and quiet modes', () => {
  it('plain: no escape codes at all, one line per build that started or ended', () => {
    const { all } = play('plain');
    expect(all).not.toContain('\u001b');
    expect(all).toMatch(/\[nix-btm\] ⏵ base-1\.0 started/);
    expect(all).toMatch(/\[nix-btm\] ✔ base-1\.0 built in \d+s \(\d+\/13\)/);
    expect(all).toMatch(/\[nix-btm\] ✘ libgamma-1\.4\.0 failed: builder failed with exit code 2 in \d+s/);
    expect(all).toMatch(/\[nix-btm\] ⊘ release-2\.0 cancelled/);
    expect(all).toContain('nix-btm: 9 built, 1 failed, 3 cancelled, 0 interrupted');
  });

  it('plain: the lines come in the order Nix ran the builds, each counting the builds done up to it', () => {
    // Nix's own order: each Build activity's start and stop, as the capture has them.
    const nameOf = new Map<string, string>();
    const order: string[] = [];
    for (const l of lines(CAPTURE)) {
      if (!l.startsWith('@nix ')) continue;
      const r = JSON.parse(l.slice(5)) as { action: string; id: number; type?: number; fields?: unknown[] };
      if (r.action === 'start' && r.type === 105) nameOf.set(String(r.id), String(r.fields![0]).replace(/^.*?-/, '').replace(/\.drv$/, ''));
      if (r.action === 'stop' && nameOf.has(String(r.id))) order.push(nameOf.get(String(r.id))!);
    }
    const { all } = play('plain');
    const built = [...all.matchAll(/^\[nix-btm\] ✔ (\S+) built in \d+s \((\d+)\/13\)$/gm)];
    // Several builds change between two scans (every 250 ms here): still one count per line, 1, 2, 3, ...
    expect(built.map((m) => Number(m[2]))).toEqual(built.map((_, i) => i + 1));
    expect(built.map((m) => m[1])).toEqual(order.filter((n) => built.some((m) => m[1] === n)));
    for (const m of built) expect(all.indexOf(`⏵ ${m[1]} started`), m[1]).toBeLessThan(all.indexOf(`✔ ${m[1]} built`));
  });

  it('quiet: Nix\'s errors and the summary, nothing else', () => {
    const { all } = play('quiet');
    expect(all).not.toContain('[nix-btm]');
    expect(all).not.toContain('┗━');
    const out = all.split('\n').filter((l) => l !== '');
    expect(out.filter((l) => l.startsWith('error: '))).toHaveLength(4);
    expect(out.filter((l) => l.startsWith('nix-btm: '))).toHaveLength(3);
  });
});

describe('inline writer', () => {
  it('after a narrowing resize, moves up over the lines as the terminal rewrapped them', () => {
    const t = terminal(80, 30);
    const w = createInlineWriter(t.out);
    const line = [{ text: 'x'.repeat(70), tone: 'normal' as const }];
    w.draw([line, line, line]);
    (t.out as { columns: number }).columns = 40;
    w.resized();
    w.draw([line.map((s) => ({ ...s, text: 'y'.repeat(30) }))]);
    // Two lines above the last one, each now 2 rows: 4 rows up, then all erased and drawn again.
    expect(t.writes.at(-1)).toMatch(/^\u001b\[4A\r\u001b\[J\u001b\[2Ky{30}\r$/);
  });
});
