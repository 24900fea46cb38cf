// `nix-btm replay` as a user runs it: the built CLI in a child process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, fixtureLines, root } from '../helpers.js';

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin/nix-btm'), ...args], { encoding: 'utf8', env: { ...process.env, COLUMNS: '120' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('nix-btm replay', () => {
  it('prints the documented JSON document', () => {
    const r = cli('replay', '--json', fixture('log-singleuser-dag-fail-openssl.jsonl'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { derivations: Record<string, unknown>[]; errors: unknown[]; decodeErrors: number };
    expect(doc.decodeErrors).toBe(0);
    expect(doc.errors).toHaveLength(3);
    expect(doc.derivations).toHaveLength(16);
    for (const d of doc.derivations) {
      expect(d.drvPath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-.+\.drv$/);
      expect(['built', 'failed', 'cancelled']).toContain(d.status);
      expect(d.durationMs).toBeNull(); // a saved log carries no times
    }
    expect(doc.derivations.find((d) => d.name === 'openssl-3.0.13')).toMatchObject({ status: 'failed', exitCode: 1 });
  });

  it('gives the same output twice', () => {
    const files = [fixture('log-daemon-root-dag-success.jsonl'), fixture('log-singleuser-fail-single.jsonl')];
    expect(cli('replay', '--json', ...files).stdout).toBe(cli('replay', '--json', ...files).stdout);
  });

  it('prints a readable table without --json', () => {
    const r = cli('replay', fixture('log-singleuser-fail-single.jsonl'));
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      'STATUS        NAME              TIME  FROM      DETAIL',
      '✘ failed      broken-pkg-0.1       -  nix said  builder failed with exit code 1',
    ]);
    expect(r.stdout).toContain('1 derivations: 0 built, 0 substituted, 0 already valid, 1 failed, 0 cancelled, 0 interrupted, 0 running, 0 not started');
    expect(r.stdout).toContain('outcomes: 0 confirmed from the store, 1 as Nix said, 0 from its counters, 0 inferred');
  });

  it('counts garbage lines instead of failing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nix-btm-test-'));
    const file = join(dir, 'mixed.log');
    const real = fixtureLines('log-singleuser-fail-single.jsonl');
    writeFileSync(file, [real[0], '@nix {"action":', '@nix [1]', 'plain text', ...real.slice(1)].join('\n') + '\n');
    const doc = JSON.parse(cli('replay', '--json', file).stdout) as { decodeErrors: number; derivations: { status: string }[] };
    expect(doc.decodeErrors).toBe(2);
    expect(doc.derivations.map((d) => d.status)).toEqual(['failed']);
  });

  it('says clearly when a file cannot be read', () => {
    const r = cli('replay', '/nonexistent/build.log');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('nix-btm: cannot read /nonexistent/build.log: ENOENT\n');
  });

  it('has help', () => {
    const r = cli('replay', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--json');
    expect(r.stdout).toContain('--log-lines');
  });
});
