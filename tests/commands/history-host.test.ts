// `history --host` / `stats --host`: which machine a word names (a config file's host by name, with its command
// and runtime dir, else the UI's --host syntax), and the words that are refused before any ssh runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { historyHost } from '../../src/commands/history-host.js';
import { historySource } from '../../src/commands/history-source.js';

const dir = mkdtempSync(join(tmpdir(), 'btm-hist-host-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, 'config.json');
writeFileSync(config, JSON.stringify({ hosts: [{ uri: 'ssh://alice@builder1:2222', name: 'b1', command: '/opt/nix-btm/bin/nix-btm', runtimeDir: '/run/far' }] }));
const none = join(dir, 'absent.json');

describe('historyHost', () => {
  it('a config file\'s host by its name, with its command and runtime dir', () => {
    expect(historyHost({ host: 'b1', config })).toMatchObject({ name: 'b1', destination: 'alice@builder1', port: 2222, command: '/opt/nix-btm/bin/nix-btm', runtimeDir: '/run/far' });
  });
  it('else the UI\'s --host syntax: ssh://user@host[:port] or an alias, with --remote-command', () => {
    expect(historyHost({ host: 'ssh://bob@h2:22', config })).toMatchObject({ destination: 'bob@h2', port: 22, command: 'nix-btm', runtimeDir: null });
    expect(historyHost({ host: 'h3', 'remote-command': '/usr/local/bin/nix-btm' }, { HOME: dir })).toMatchObject({ destination: 'h3', command: '/usr/local/bin/nix-btm' });
  });
  it('refuses what ssh cannot reach, a missing config file, and --history with --host', () => {
    expect(() => historyHost({ host: 'ssh://', config })).toThrow(/--host ssh:\/\/: not a machine ssh can reach/);
    expect(() => historyHost({ host: 'b1', config: none })).toThrow(/does not exist/);
    expect(() => historySource({ host: 'b1', history: join(dir, 'h.sqlite'), config })).toThrow(/give one of them/);
  });
});
