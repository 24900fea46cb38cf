import { describe, expect, it } from 'vitest';
import { KEYMAP, actionFor, decodeKey, decodeKeys, footerKeys, footerLine } from '../../src/ui/keymap.js';
import { manualLines } from '../../src/ui/manual.js';

describe('keymap', () => {
  it('decodes the sequences terminals send', () => {
    expect(['\x1b[A', '\x1bOB', '\x1b[5~', '\x1b[6~', '\x1bOP', '\x1b[20~', '\r', '\x1b', '\x7f', '\x03', '\x1b[Z', 'j', 'G', '?'].map(decodeKey))
      .toEqual(['up', 'down', 'pageup', 'pagedown', 'f1', 'f9', 'enter', 'escape', 'backspace', 'ctrl-c', 'shift-tab', 'j', 'G', '?']);
  });

  it('splits a run of typed or pasted characters into one key each', () => {
    expect(decodeKeys('/nix-d\r')).toEqual(['/', 'n', 'i', 'x', '-', 'd', 'enter']);
    expect(decodeKeys('jjk')).toEqual(['j', 'j', 'k']);
    expect(decodeKeys('\x1b[A')).toEqual(['up']);
    expect(decodeKeys('\x1b')).toEqual(['escape']);
    expect(decodeKeys('\r')).toEqual(['enter']);
  });

  it('gives each key one action per view, the view key first', () => {
    expect(actionFor('enter', 'jobs')).toBe('detail');
    expect(actionFor('enter', 'eagle')).toBe('toggle');
    expect(actionFor('k', 'process')).toBe('up');
    expect(actionFor('K', 'process')).toBe('kill');
    expect(actionFor('f9', 'builder')).toBe('kill');
    expect(actionFor('f1', 'jobs')).toBe('manual');
    expect(actionFor('t', 'jobs')).toBeNull();
    for (const view of ['process', 'builder', 'eagle', 'jobs'] as const) {
      const seen = new Map<string, string>();
      for (const b of KEYMAP) {
        if (actionFor(b.keys[0]!, view) !== b.action) continue;
        for (const k of b.keys) {
          expect(seen.get(k) ?? b.action, `${k} in ${view}`).toBe(b.action);
          seen.set(k, b.action);
        }
      }
    }
  });

  it('feeds the footer and the manual from the same table', () => {
    expect(footerKeys('eagle').map((k) => `${k.key} ${k.label}`).join('  '))
      .toBe('q quit  ? help  Enter expand  m mode  w widget  y copy  p pause  F3 search  / filter');
    expect(footerLine('process', 80)).toBe('q quit  ? help  s sort  t tree  a all  f follow  K kill  z freeze  p pause');
    const manual = manualLines().join('\n');
    for (const b of KEYMAP) expect(manual).toContain(b.help);
    expect(manual).toContain('json-log-path');
    expect(manual).toContain('nix-btm run');
  });
});

describe('editing a filter or a search as readline does', () => {
  it('C-u erases the text, C-w its last word; typing then starts afresh', async () => {
    const { onFilterKey } = await import('../../src/ui/ui-entry.js');
    const { initialUi } = await import('../../src/ui/ui-state.js');
    expect(decodeKeys('ab\x15c\x17')).toEqual(['a', 'b', 'ctrl-u', 'c', 'ctrl-w']);
    const type = (ui: typeof initialUi, keys: string): typeof initialUi => decodeKeys(keys).reduce(onFilterKey, ui);
    let ui = type({ ...initialUi, editingFilter: true }, 'nonce r1');
    expect(ui.filters[ui.view]).toBe('nonce r1');
    ui = type(ui, '\x17');
    expect(ui.filters[ui.view]).toBe('nonce ');
    ui = type(ui, '\x17');
    expect(ui.filters[ui.view]).toBe('');
    ui = type(type(ui, 'old text'), '\x15nonce P');
    expect(ui.filters[ui.view]).toBe('nonce P');
    expect(ui.editingFilter).toBe(true);
  });
});
