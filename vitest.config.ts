import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'], exclude: ['tests/e2e/**', 'node_modules/**', 'dist/**'] } },
      // The ring's tests once more with the fallback wait (a waiter thread), which a kernel without io_uring's
      // FUTEX_WAIT, or one that refuses io_uring, gets (docs/ring.md, "Waiting").
      { extends: true, test: { name: 'ring-thread-wait', include: ['tests/ring/**/*.test.ts'], env: { NIX_BTM_RING_WAIT: 'thread' } } },
    ],
  },
});
