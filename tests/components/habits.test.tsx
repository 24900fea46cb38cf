// htop's habits on the real demo capture: F-keys, </>, n/N, the sort picker, the mouse (SGR 1006 reports written to
// stdin as a terminal sends them), the scrollable detail pane, the manual's last line, and every size drawn whole.
process.env.TZ = 'UTC';
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import App from '../../src/components/App.js';
import type { Controller } from '../../src/ui/feed.js';
import { recordingController } from '../../src/ui/feed.js';
import { createStore } from '../../src/ui/store.js';
import { withSeverity } from '../../src/ui/detail.js';
import { stateAt, tick } from '../ui/helpers.js';

afterEach(() => cleanup());

const F = { f3: '\x1bOR', f5: '\x1b[15~', f6: '\x1b[17~', f10: '\x1b[21~', pgup: '\x1b[5~', pgdn: '\x1b[6~', end: '\x1b[F' };
const click = (x: number, y: number): string => `\x1b[<0;${x};${y}M\x1b[<0;${x};${y}m`;
const wheel = (down: boolean, x = 10, y = 10): string => `\x1b[<${down ? 65 : 64};${x};${y}M`;

function mount(ms: number, opts: { controller?: Controller; size?: { columns: number; rows: number } } = {}) {
  const store = createStore({ frameMs: 0, state: stateAt(ms), status: { kind: 'demo', detail: 'recorded real build' } });
  const quits: number[] = [];
  const app = render(<App store={store} controller={opts.controller ?? recordingController('demo')} size={opts.size ?? { columns: 100, rows: 30 }}
    onQuit={() => quits.push(1)} />);
  const press = async (...keys: string[]): Promise<string> => {
    for (const k of keys) {
      app.stdin.write(k);
      await tick(k === '\x1b' ? 40 : 15);
      for (let n = app.frames.length, quiet = 0; quiet < 40; n = app.frames.length) { await tick(10); quiet = app.frames.length === n ? quiet + 10 : 0; }
    }
    return app.lastFrame() ?? '';
  };
  return { app, quits, press };
}

const lineWith = (frame: string, text: string): string => frame.split('\n').find((l) => l.includes(text)) ?? '';

describe('htop keys', () => {
  it('F10 quits, h and F1 open the manual, F5 toggles the tree', async () => {
    const { press, quits } = mount(3000);
    expect(await press('h')).toContain('Manual');
    expect(await press('\x1b')).toContain('tree · Nix processes');
    expect(await press(F.f5)).toContain('list · Nix processes');
    await press(F.f10);
    expect(quits).toHaveLength(1);
  });

  it('> and < move the sort column, F6 picks it from a list', async () => {
    const { press } = mount(3000);
    expect(lineWith(await press('>'), 'PID')).toContain('USER▲');
    expect(lineWith(await press('<'), 'PID')).toContain('PID▲');
    const picker = await press(F.f6);
    expect(picker).toContain('Sort by');
    expect(picker).toContain('TIME+');
    // Down to CPU% (third column), Enter: sorted by it, the picker gone.
    const sorted = await press('j', 'j', '\r');
    expect(sorted).not.toContain('Sort by');
    expect(lineWith(sorted, 'PID')).toContain('CPU%▲');
  });

  it('F3 searches (jumping, not filtering), n and N go to the next and previous match', async () => {
    const { press } = mount(3000);
    const first = await press(F.f3, 'y', 'e', 's', '\r');
    // Every row is still there (11), the cursor on the first "yes".
    expect(first).toContain('/11');
    expect(lineWith(first, '›')).toMatch(/─ (timeout 1 )?yes/);
    const pos = (f: string): string => /(\d+)\/11/.exec(f)?.[1] ?? '';
    const a = pos(first);
    const b = pos(await press('n'));
    expect(b).not.toBe(a);
    expect(pos(await press('N'))).toBe(a);
    expect(await press('n', 'n', 'n')).toContain('/11');
  });
});

describe('mouse', () => {
  it('a click on a tab switches view, on a title sorts, on a row selects; the wheel scrolls', async () => {
    const { press } = mount(3000);
    // " 1 Process  2 Builder ...": column 13 is in " 2 Builder ".
    expect(await press(click(14, 4))).toContain('SLOT▲');
    await press(click(4, 4));
    // The title line is row 5; "USER" starts after the 1-column gutter and the 7-wide PID column.
    expect(lineWith(await press(click(11, 5)), 'PID')).toContain('USER▲');
    expect(lineWith(await press(click(11, 5)), 'PID')).toContain('USER▼');
    const selected = await press(click(20, 8));
    expect(selected).toContain('3/11');
    expect(await press(wheel(true))).toContain('6/11');
    expect(await press(wheel(false))).toContain('3/11');
  });

  it('a click on a key of the bottom line does what the key does', async () => {
    const { press, quits } = mount(3000);
    // Bottom line (row 29 of 30): "q quit  ? help ...": column 10 is "? help".
    expect(await press(click(10, 29))).toContain('Manual');
    await press('\x1b', click(2, 29));
    expect(quits).toHaveLength(1);
  });
});

describe('detail pane and manual', () => {
  it('scrolls with PgUp/PgDn, searches with /, closes with Esc', async () => {
    const { press } = mount(4500);
    await press('4', 'j', '\r');
    const open = await press();
    // It opens at the end of the log tail (the newest lines), the position on its last line.
    expect(open).toContain('patching script interpreter paths');
    const position = (f: string): string => /│ .* (\d+\/\d+) │/.exec(f.split('\n').filter((l) => l.startsWith('│')).pop() ?? '')?.[1] ?? '';
    const atEnd = position(open);
    const up = await press(F.pgup);
    expect(position(up)).not.toBe(atEnd);
    expect(position(await press(F.pgdn))).toBe(atEnd);
    // The list under the pane did not move: the pane had the page keys.
    expect(open).toContain('2/17');
    // Searching the pane scrolls it to the first line saying "phases" (near the top), then n to the next.
    const found = await press('/', 'p', 'h', 'a', 's', 'e', 's', ':', '\r');
    expect(found).toContain('phases: ');
    expect(await press('\x1b')).not.toContain('┌');
  });

  it('says a refused environment is a refusal, and never "error: error:"', async () => {
    const controller: Controller = { ...recordingController('demo'), environ: async () => ({ ok: false, reason: 'uid 1001 may only signal builds its own clients started' }) };
    const { press } = mount(3000, { controller });
    // 3 s in, gdbm (second row) is running: its builder is asked for its environment, and refuses.
    const frame = await press('4', 'j', '\r', F.pgup, F.pgup, F.pgup);
    expect(frame).toContain('environment not shown: the daemon refused (uid 1001 may only');
    expect(frame).not.toContain('environment:');
    expect(withSeverity('error', 'error: builder for x failed')).toBe('error: builder for x failed');
    expect(withSeverity('error', 'builder for x failed')).toBe('error: builder for x failed');
  });

  it('End and G reach the manual\'s last line; at 80 columns lines wrap instead of being cut', async () => {
    const { press } = mount(3000, { size: { columns: 80, rows: 24 } });
    const end = await press('?', F.end);
    const [, shown, total] = /(\d+)\/(\d+) │/.exec(end) ?? [];
    expect(shown).toBe(total);
    expect(end).toContain('XDG_RUNTIME_DIR');
    expect(await press('g', 'G')).toContain(`${total}/${total}`);
    // Walk the whole manual: no line is cut with an ellipsis.
    let page = await press('g');
    for (let i = 0; i < 10; i++) {
      for (const line of page.split('\n').filter((l) => l.startsWith('│'))) expect(line).not.toMatch(/…\s*│$/);
      page = await press(F.pgdn);
    }
  });
});

describe('every size', () => {
  it('draws whole frames from 40x12 up, and says "terminal too small" below', async () => {
    for (const [columns, rows] of [[40, 12], [41, 13], [50, 15], [64, 20], [80, 24], [120, 40], [200, 60], [250, 70]] as const) {
      for (const view of ['1', '2', '3', '4']) {
        const { press, app } = mount(4500, { size: { columns, rows } });
        const frame = await press(view);
        const lines = frame.split('\n');
        expect(lines.length, `${columns}x${rows} view ${view}`).toBeLessThanOrEqual(rows - 1);
        for (const l of lines) expect([...l].length, `${columns}x${rows} view ${view}: ${l}`).toBeLessThanOrEqual(columns);
        expect(lines[0]).toMatch(/^nix-btm │/);
        expect(lines[3]).toMatch(/^ 1 /);
        expect(lines[lines.length - 1]).toMatch(/^q quit/);
        app.unmount();
      }
    }
    const { press } = mount(3000, { size: { columns: 39, rows: 11 } });
    expect(await press()).toContain('terminal too small: 39x11');
  });

  it('a terminal too small for a moment keeps the view, its filter and its sort (they were all reset)', async () => {
    const store = createStore({ frameMs: 0, state: stateAt(4500), status: { kind: 'demo', detail: 'recorded real build' } });
    const draw = (columns: number, rows: number) => <App store={store} controller={recordingController('demo')} size={{ columns, rows }} onQuit={() => undefined} />;
    const app = render(draw(100, 30));
    const press = async (...keys: string[]): Promise<string> => {
      for (const k of keys) { app.stdin.write(k); await tick(k === '\x1b' ? 40 : 30); }
      await tick(60);
      return app.lastFrame() ?? '';
    };
    await press('4', '/', 'm', 'p', 'd', '\r', '>');
    const before = await press();
    expect(before).toMatch(/filter "mpd"/);
    app.rerender(draw(100, 10));
    await tick(60);
    expect(app.lastFrame()).toContain('terminal too small');
    app.rerender(draw(100, 30));
    const after = await press();
    expect(after.split('\n').slice(0, 4)).toEqual(before.split('\n').slice(0, 4));
    expect(after).toMatch(/filter "mpd"/);
    app.unmount();
  });

  it('Eagle Eye showing only running paths, once the build is over: "nothing running", never "no jobs yet"', async () => {
    const { press } = mount(1e9);
    const frame = await press('3', 'm');
    expect(frame).toContain('nothing running now (m: the whole tree)');
    expect(frame).not.toContain('no jobs yet');
  });

  it('never cuts a column that fits: PHASE and DRV whole at 120 columns', async () => {
    const { press } = mount(3000, { size: { columns: 120, rows: 40 } });
    expect(await press()).toMatch(/mpdecimal-2\.5\.1 /);
    const builder = await press('2');
    expect(builder).not.toMatch(/Phas…|Pha…/);
    expect(builder).toMatch(/USER +JOB DERIVATION/);
    expect(lineWith(builder, 'nixbld')).toMatch(/nixbld\d +root +16115 /);
  });
});
