import { defineConfig } from 'vitest/config';

// Native addons and vitest's worker threads do not mix: run each file in a
// forked process.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    globalSetup: ['test/setup/build-ts.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
