// The reducer on every real Nix 2.8 capture: final statuses, phases, log tails and errors, from the log alone.
import { describe, expect, it } from 'vitest';
import { lastLogLine, logLength, logLines } from '../../src/state/log-tail.js';
import { stateReport } from '../../src/state/report.js';
import { fixture, replay, statusByName } from '../helpers.js';

const leaves = ['zlib-1.3.1', 'openssl-3.0.13', 'ncurses-6.4', 'readline-8.2p10', 'libffi-3.4.6', 'sqlite-3.45.1',
  'bzip2-1.0.8', 'xz-5.4.6', 'expat-2.6.2', 'gdbm-1.23', 'libuuid-2.39.3', 'mpdecimal-2.5.1'];
const mids = ['python3-minimal-3.11.9', 'perl-5.38.2', 'git-2.44.0'];
const all = [...leaves, ...mids, 'my-dev-env-1.0'];
const leafPhases = ['unpackPhase', 'configurePhase', 'buildPhase', 'installPhase', 'fixupPhase'];

describe.each([
  'log-singleuser-dag-success.jsonl', 'log-singleuser-dag-success-v1.jsonl',
  'log-daemon-root-dag-success.jsonl', 'log-daemon-root-dag-success-v1.jsonl',
])('%s', (file) => {
  it('builds all 16 planned derivations, each decided by the Builds counter or a -vvv trace, none confirmed from the store (replay checks no store)', async () => {
    const state = await replay([fixture(file)]);
    expect(statusByName(state)).toEqual(Object.fromEntries(all.map((n) => [n, 'built'])));
    expect([...state.derivations.values()].every((d) => d.basis === 'counters' || d.basis === 'nix')).toBe(true);
    expect([...state.derivations.values()].some((d) => d.confirmed)).toBe(false);
    const [job] = state.jobs.values();
    expect(job?.plan).toHaveLength(16);
    expect(job?.status).toBe('succeeded');
    expect(job?.progress).toEqual({ done: 16, expected: 16, running: 0, failed: 0 });
    expect(state.messages.filter((m) => m.severity === 'error')).toEqual([]);
    expect(state.decodeErrors).toBe(0);
  });

  it('follows phases and keeps each log tail', async () => {
    const state = await replay([fixture(file)], { logTail: 3 });
    for (const d of state.derivations.values()) {
      expect(logLength(d.log)).toBeLessThanOrEqual(3);
      if (leaves.includes(d.name)) {
        expect(d.phases).toEqual(leafPhases);
        expect(lastLogLine(d.log)).toMatch(/^patching script interpreter paths in \/nix\/store\/[a-z0-9]{32}-/);
      }
    }
    const top = [...state.derivations.values()].find((d) => d.name === 'my-dev-env-1.0');
    expect(top?.phases).toEqual(['buildPhase']);
    expect(top && lastLogLine(top.log)).toBe('done');
  });
});

describe('log-singleuser-dag-fail-openssl.jsonl (no --keep-going)', () => {
  it('fails openssl, cancels the killed sqlite and every dependent, keeps what was built', async () => {
    const state = await replay([fixture('log-singleuser-dag-fail-openssl.jsonl')]);
    const byName = statusByName(state);
    expect(byName['openssl-3.0.13']).toBe('failed');
    expect(byName['sqlite-3.45.1']).toBe('cancelled');
    for (const n of mids.filter((m) => m !== 'git-2.44.0')) expect(byName[n]).toBe('cancelled');
    expect(byName['my-dev-env-1.0']).toBe('cancelled');
    const built = Object.entries(byName).filter(([, s]) => s === 'built').map(([n]) => n).sort();
    expect(built).toEqual([...leaves.filter((n) => n !== 'openssl-3.0.13' && n !== 'sqlite-3.45.1'), 'git-2.44.0'].sort());
    const openssl = [...state.derivations.values()].find((d) => d.name === 'openssl-3.0.13')!;
    expect(openssl.exitCode).toBe(1);
    expect(openssl.phase).toBe('buildPhase');
    expect(logLines(openssl.log).slice(-2)).toEqual([
      "src/openssl_err.c:42:7: error: 'foo' undeclared (first use in this function)",
      'make: *** [Makefile:1234: src/openssl_err.o] Error 1',
    ]);
    const sqlite = [...state.derivations.values()].find((d) => d.name === 'sqlite-3.45.1')!;
    expect(sqlite.reason).toBe('killed: another build failed');
    const [job] = state.jobs.values();
    expect(job?.status).toBe('failed');
    expect(state.messages.map((m) => m.drvPath?.replace(/^.*?-/, ''))).toEqual([
      'openssl-3.0.13.drv', 'python3-minimal-3.11.9.drv', 'my-dev-env-1.0.drv',
    ]);
  });
});

describe.each([
  ['log-singleuser-fail-single.jsonl'], ['log-singleuser-fail-single-default-verbosity.jsonl'], ['log-daemon-root-fail-single.jsonl'],
])('%s', (file) => {
  it('fails broken-pkg with exit code 1 and keeps the compiler error in its log tail', async () => {
    const state = await replay([fixture(file)]);
    const [drv] = state.derivations.values();
    expect(drv).toMatchObject({ name: 'broken-pkg-0.1', status: 'failed', exitCode: 1, phase: 'buildPhase', basis: 'nix', confirmed: false });
    expect(drv && logLines(drv.log)).toContain("broken.c:17:3: error: expected ';' before '}' token");
    expect(state.messages[0]?.text).toMatch(/^error: builder for '\/nix\/store\/[a-z0-9]{32}-broken-pkg-0\.1\.drv' failed with exit code 1/);
    expect([...state.jobs.values()][0]?.status).toBe('failed');
  });
});

describe('evaluation and usage errors', () => {
  it('keeps file, line and column of an evaluation error', async () => {
    const state = await replay([fixture('log-error-eval-type-error.jsonl')]);
    expect(state.derivations.size).toBe(0);
    expect(stateReport(state).errors).toEqual([expect.objectContaining({
      file: '/home/user/nixcapture/eval-error.nix', line: 1, column: 114, drvPath: null,
      text: expect.stringMatching(/^error: cannot add a string to an integer\n/),
    })]);
    expect([...state.jobs.values()][0]?.status).toBe('failed');
  });

  it.each([
    ['log-error-eval-missing-file.jsonl', "error: getting status of '/nonexistent.nix': No such file or directory"],
    ['log-error-unrecognised-flag.jsonl', "error: unrecognised flag '--print-out-paths'"],
  ])('%s', async (file, text) => {
    const state = await replay([fixture(file)]);
    expect(stateReport(state).errors).toEqual([expect.objectContaining({ text, file: null, line: null, column: null })]);
  });
});

describe('several captures at once', () => {
  it('keeps each file its own source and the same drv in two sources one derivation', async () => {
    const state = await replay([fixture('log-singleuser-fail-single.jsonl'), fixture('log-singleuser-fail-single-default-verbosity.jsonl')]);
    expect(state.jobs.size).toBe(2);
    expect(state.derivations.size).toBe(2); // two nonces: two different drvs
  });

  it('is deterministic', async () => {
    const files = ['log-singleuser-dag-fail-openssl.jsonl', 'log-daemon-root-dag-success.jsonl'].map(fixture);
    const a = JSON.stringify(stateReport(await replay(files)));
    const b = JSON.stringify(stateReport(await replay(files)));
    expect(a).toBe(b);
  });

  it('stays within its memory bounds on a long stream', async () => {
    const files = ['log-singleuser-dag-success.jsonl', 'log-singleuser-dag-success-v1.jsonl', 'log-daemon-root-dag-success.jsonl',
      'log-daemon-root-dag-success-v1.jsonl', 'log-singleuser-dag-fail-openssl.jsonl'].map(fixture);
    const state = await replay([...files, ...files], { finishedDerivations: 20, closedJobs: 3, messages: 4, logTail: 2 });
    expect(state.derivations.size).toBeLessThanOrEqual(22);
    expect(state.jobs.size).toBeLessThanOrEqual(4);
    expect(state.messages.length).toBeLessThanOrEqual(4);
    expect(state.messagesDropped).toBe(2);
    expect(state.activities.size).toBe(0);
  });
});
