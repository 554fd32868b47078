import { defineConfig } from 'vitest/config';

// One vitest project per package; `pnpm test` runs them all and prints one summary.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    passWithNoTests: false,
  },
});
