import { startTestPostgres } from '@pipelinejobs/storage/testing';
import type { TestProject } from 'vitest/node';

/**
 * Vitest global setup for the suites that need PostgreSQL: TEST_DATABASE_URL (or DATABASE_URL)
 * when set, otherwise a real embedded PostgreSQL started for this run. Each test file then clones
 * the migrated template (see test/database.ts).
 */
export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
  const pg = await startTestPostgres({ url });
  project.provide('pg', { adminUrl: pg.adminUrl, template: pg.template, external: Boolean(url) });
  return () => pg.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pg: { adminUrl: string; template: string; external: boolean };
  }
}
