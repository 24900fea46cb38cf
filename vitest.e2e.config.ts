import { defineConfig } from 'vitest/config';

// Real Nix and real terminals: one file at a time, they share the nix-daemon and the machine's two cores.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    // A tmux server per file, alive between its tests (tests/e2e/tmux-server.setup.ts).
    setupFiles: ['tests/e2e/tmux-server.setup.ts'],
  },
});
