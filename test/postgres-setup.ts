import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireEmbeddedServer } from '@pipelinejobs/embedded-postgres';
import { startTestPostgres } from '@pipelinejobs/storage/testing';
import type { TestProject } from 'vitest/node';

/**
 * Vitest global setup for the suites that need PostgreSQL: TEST_DATABASE_URL (or DATABASE_URL)
 * when set, otherwise a real embedded PostgreSQL started for this run. Each test file then clones
 * the migrated template (see test/database.ts).
 */
export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
  const server = url ? { url, stop: async () => {} } : await startEmbedded();
  const pg = await startTestPostgres({ url: server.url });
  project.provide('pg', { adminUrl: pg.adminUrl, template: pg.template, external: Boolean(url) });
  return async () => {
    await pg.stop();
    await server.stop();
  };
}

/** An embedded server in a temporary folder, for this run only. */
async function startEmbedded(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'pipelinejobs-test-'));
  chmodSync(dir, 0o755); // the postgres user must traverse it when the tests run as root
  const server = await acquireEmbeddedServer(join(dir, 'data'));
  return {
    url: server.url,
    async stop() {
      await server.release();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pg: { adminUrl: string; template: string; external: boolean };
  }
}
