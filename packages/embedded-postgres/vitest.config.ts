import { defineProject } from 'vitest/config';

// Each test starts embedded servers of its own in temporary folders: no shared PostgreSQL needed.
export default defineProject({
  test: {
    name: 'embedded-postgres',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
