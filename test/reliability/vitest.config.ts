import { defineProject } from 'vitest/config';

// The reliability suite: real Manager processes on real (embedded) PostgreSQL servers, one test
// file at a time. Run it with `pnpm test:reliability` from the repository root; sizes in README.md.
export default defineProject({
  test: {
    name: 'reliability',
    include: ['src/**/*.test.ts'],
    globalSetup: ['src/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
