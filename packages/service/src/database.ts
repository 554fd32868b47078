import type { EmbeddedLog } from '@pipelinejobs/embedded-postgres';
import * as storage from '@pipelinejobs/storage';
import type { Config } from './config.js';
import { explainDatabaseFailure } from './database-failure.js';
import { openConfiguredDatabase } from './open-database.js';

/**
 * Applies pending migrations to the configured database without opening the services (no secret
 * check: `migrate` is how a database gets its schema before anything else runs on it), whatever
 * PIPELINEJOBS_MIGRATE says (this is the step `check` and `off` leave to the operator). Returns
 * how many ran and which kind of database it was.
 */
export async function migrateDatabase(
  config: Config,
  options: { log?: EmbeddedLog } = {},
): Promise<{
  applied: number;
  database: 'external' | 'embedded';
  /** For the embedded default: where it is, and whether this call created it. */
  embedded?: { dataDir: string; created: boolean };
}> {
  let opened: Awaited<ReturnType<typeof openConfiguredDatabase>>;
  try {
    opened = await openConfiguredDatabase(config, { log: options.log, poolSize: 1, migrate: 'off' });
  } catch (error) {
    throw explainDatabaseFailure(error, config, 'connect');
  }
  const { db, embedded } = opened;
  try {
    const applied = await storage.applyMigrations(db).catch((error: unknown) => {
      throw explainDatabaseFailure(error, config, 'migrate-command');
    });
    return {
      applied,
      database: embedded ? 'embedded' : 'external',
      ...(embedded ? { embedded: { dataDir: embedded.dataDir, created: embedded.created } } : {}),
    };
  } finally {
    await db.close();
  }
}
