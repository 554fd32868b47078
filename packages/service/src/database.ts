import * as storage from '@pipelinejobs/storage';
import type { Config } from './config.js';
import { databaseConfigOf } from './services.js';

/**
 * Applies pending migrations to the configured database without opening the services (no secret
 * check: `migrate` is how a database gets its schema before anything else runs on it). Returns
 * how many ran and which kind of database it was.
 */
export async function migrateDatabase(
  config: Config,
  options: { log?: storage.EmbeddedLog } = {},
): Promise<{
  applied: number;
  database: 'external' | 'embedded';
  /** For the embedded default: where it is, and whether this call created it. */
  embedded?: { dataDir: string; created: boolean };
}> {
  const db = await storage.openDatabase(databaseConfigOf(config, options.log, { poolSize: 1 }), {
    migrate: false,
  });
  try {
    const applied = await storage.translated(() => storage.migrate(db.sql));
    const { embedded } = db;
    return {
      applied,
      database: db.kind,
      ...(embedded ? { embedded: { dataDir: embedded.dataDir, created: embedded.created } } : {}),
    };
  } finally {
    await db.close();
  }
}
