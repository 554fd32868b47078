import { defineConfig } from 'vitest/config';

// One vitest project per package; `pnpm test` runs them all and prints one summary. The
// reliability suite (real processes, minutes) runs on its own: `pnpm test:reliability`.
const reliability = process.env.PIPELINEJOBS_RELIABILITY === '1';

export default defineConfig({
  test: {
    projects: reliability ? ['test/reliability'] : ['packages/*', 'apps/*'],
    passWithNoTests: false,
  },
});
