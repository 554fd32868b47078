import type { EmbeddedLog } from '@pipelinejobs/embedded-postgres';
import * as storage from '@pipelinejobs/storage';
import type { Config } from './config.js';
import { openConfiguredDatabase } from './open-database.js';

/**
 * Applies pending migrations to the configured database without opening the services (no secret
 * check: `migrate` is how a database gets its schema before anything else runs on it). Returns
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
  const { db, embedded } = await openConfiguredDatabase(config, {
    log: options.log,
    poolSize: 1,
    migrate: false,
  });
  try {
    const applied = await storage.applyMigrations(db);
    return {
      applied,
      database: embedded ? 'embedded' : 'external',
      ...(embedded ? { embedded: { dataDir: embedded.dataDir, created: embedded.created } } : {}),
    };
  } finally {
    await db.close();
  }
}
