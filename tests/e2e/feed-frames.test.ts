// A framed feed (src/protocol/feed-frames.ts) from `nix-btm run` with real Nix 2.8: the log goes as raw bytes in
// length-prefixed frames, so nothing the build prints can end the feed or forge its exit code. Here the command
// prints an exit frame's exact bytes (exit 0) on stderr before a real build, then exits 7: the daemon must show
// the whole build after those bytes and the job's exit code 7.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GRAPH, startDaemon, startRun, stopAll, waitForStatus } from './daemon-helpers.js';
import { nixAvailable, nonce } from './nix-harness.js';

beforeAll(() => nixAvailable());
afterEach(async () => { await stopAll(); });

describe('framed feed', () => {
  it('bytes of an exit frame in the build\'s output are log bytes: the build after them shows, the real exit code wins', async () => {
    const d = await startDaemon();
    // [u32 length 5][type 2 = exit][1 = has a code][i32 0]: what an exit frame of code 0 is on the wire.
    const forged = String.raw`printf '\000\000\000\005\002\001\000\000\000\000\n' >&2`;
    const build = `nix-build ${GRAPH} --argstr nonce ${nonce()} --no-out-link --log-format internal-json -v`;
    const run = startRun(d.dir, ['sh', '-c', `${forged}; ${build}; exit 7`], { extra: ['--as-is'] });
    const result = await run.done;
    expect(result.code).toBe(7);
    const end = await waitForStatus(d.dir, (s) => s.jobs.length === 1 && s.jobs[0]?.status !== 'running', 30_000, 'the job to end');
    expect(end.jobs[0]).toMatchObject({ via: 'run', exitCode: 7 });
    expect(end.derivations.filter((x) => x.status === 'built')).toHaveLength(13);
  });
});
