// The header's daemon part: a daemon lost once connected says since when and that the rows are as it last said
// (in a terminal frame, ink-testing-library); one never reached says it is retrying, not "lost".
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import Header, { daemonLabel } from '../../src/components/Header.js';
import { initialState } from '../../src/state/reducer.js';
import { statusCounts } from '../../src/state/selectors.js';

afterEach(cleanup);

const frame = (status: Parameters<typeof daemonLabel>[0]): string =>
  render(<Header host={null} counts={statusCounts(initialState())} status={status} paused={false} unseen={0} width={140} />).lastFrame() ?? '';

describe('header: the daemon', () => {
  it('connected, lost after being connected, never reached', () => {
    expect(frame({ kind: 'connected', detail: 'daemon 42' })).toContain('daemon: connected');
    const lostAt = new Date(2026, 11, 2, 9, 5, 7).getTime();
    const lost = frame({ kind: 'reconnecting', detail: 'the daemon went away: reconnecting…', lostAt });
    expect(lost).toContain('daemon: lost at 09:05:07, reconnecting; rows as it last said');
    expect(lost).toContain('the daemon went away');
    const never = frame({ kind: 'reconnecting', detail: 'permission denied: ask to be added to group \'nix-users\'' });
    expect(never).toContain('daemon: not reached, retrying');
    expect(never).not.toContain('lost');
  });
});
