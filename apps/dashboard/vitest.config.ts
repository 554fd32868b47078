import { defineProject } from 'vitest/config';

// The dashboard's pure parts; the pages are tested in a real browser against a real Manager by
// apps/http/test/dashboard.test.ts.
export default defineProject({
  test: {
    name: 'dashboard',
    include: ['src/**/*.test.ts'],
  },
});
