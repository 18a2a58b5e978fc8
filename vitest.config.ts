import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration suites start real threads and processes: give them room, but keep a bound.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
