import { describe, expect, it } from 'vitest';
import { forgetActivation, inheritedSocket } from '../../src/daemon/activation.js';

describe('inheritedSocket (sd_listen_fds)', () => {
  const env = (e: Record<string, string>): NodeJS.ProcessEnv => e;
  it('is null without LISTEN_FDS, or when LISTEN_PID names another process', () => {
    expect(inheritedSocket('nix-log', env({}), 42)).toBeNull();
    expect(inheritedSocket('nix-log', env({ LISTEN_FDS: '1', LISTEN_PID: '41' }), 42)).toBeNull();
  });
  it('finds the named socket among several, from fd 3 on', () => {
    expect(inheritedSocket('nix-log', env({ LISTEN_FDS: '2', LISTEN_PID: '42', LISTEN_FDNAMES: 'control:nix-log' }), 42)).toBe(4);
    expect(inheritedSocket('nix-log', env({ LISTEN_FDS: '1', LISTEN_PID: '42', LISTEN_FDNAMES: 'nix-log' }), 42)).toBe(3);
  });
  it('takes a single unnamed socket', () => {
    expect(inheritedSocket('nix-log', env({ LISTEN_FDS: '1', LISTEN_PID: '42' }), 42)).toBe(3);
    expect(inheritedSocket('nix-log', env({ LISTEN_FDS: '1', LISTEN_PID: '42', LISTEN_FDNAMES: 'unknown' }), 42)).toBe(3);
  });
  it('refuses a bad count or a set without our name, with a clear error', () => {
    expect(() => inheritedSocket('nix-log', env({ LISTEN_FDS: 'x', LISTEN_PID: '42' }), 42)).toThrow(/LISTEN_FDS=x/);
    expect(() => inheritedSocket('nix-log', env({ LISTEN_FDS: '2', LISTEN_PID: '42', LISTEN_FDNAMES: 'a:b' }), 42)).toThrow(/no socket named "nix-log"/);
  });
  it('forgetActivation clears the variables so children do not take the sockets', () => {
    const e = env({ LISTEN_FDS: '1', LISTEN_PID: '42', LISTEN_FDNAMES: 'nix-log', HOME: '/root' });
    forgetActivation(e);
    expect(e).toEqual({ HOME: '/root' });
  });
});
