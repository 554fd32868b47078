import { acquireEmbeddedServer, type EmbeddedLog } from '@pipelinejobs/embedded-postgres';
import { applyMigrations, type Database, migrationStatus, openDatabase } from '@pipelinejobs/storage';
import { type Config, ConfigError, type MigrateMode } from './config.js';
import { explainDatabaseFailure } from './database-failure.js';

/** The embedded default of a process: where its data is, and whether this process created it. */
export interface EmbeddedDatabase {
  readonly dataDir: string;
  readonly port: number;
  readonly created: boolean;
}

export interface OpenDatabaseOptions {
  /** Lines for the operator: the embedded server's progress (start, reuse, restart), a schema ahead of this version. */
  readonly log?: EmbeddedLog;
  /** Instead of the configured pool size (`migrate` needs one connection). */
  readonly poolSize?: number;
  /** Instead of the configured PIPELINEJOBS_MIGRATE (`migrate` applies them itself). */
  readonly migrate?: MigrateMode;
}

/**
 * What PIPELINEJOBS_MIGRATE asks of a database just opened: apply pending migrations, refuse to
 * go on while any is pending, or nothing. With `auto` and `check` a schema a later version
 * migrated is served with a warning (an upgrade whose migration is compatible keeps this version
 * running, and restarting, beside the later one). Failures are said with the setting to check.
 */
async function settleSchema(
  db: Database,
  config: Config,
  mode: MigrateMode,
  log: EmbeddedLog | undefined,
): Promise<void> {
  if (mode === 'off') return;
  if (mode === 'auto') {
    try {
      await applyMigrations(db);
    } catch (error) {
      throw explainDatabaseFailure(error, config, 'migrate');
    }
  }
  let status: Awaited<ReturnType<typeof migrationStatus>>;
  try {
    status = await migrationStatus(db);
  } catch (error) {
    throw explainDatabaseFailure(error, config, 'connect');
  }
  const schema = `the database schema${db.schema ? ` ${db.schema}` : ''}`;
  const plural = (n: number) => (n === 1 ? '' : 's');
  if (status.ahead > 0) {
    log?.(
      `${schema} is ahead of this version (${status.ahead} migration${plural(status.ahead)} it does not know, applied by a later version): serving it, which holds only while the later version's release notes say its migrations are compatible; otherwise run that version`,
      'warn',
    );
  }
  if (status.pending > 0) {
    throw new ConfigError(
      'PIPELINEJOBS_MIGRATE',
      `is check and ${schema} is behind this version (${status.pending} migration${plural(status.pending)} pending): run \`pipelinejobs migrate\` as the role that owns it, then start again`,
    );
  }
}

/**
 * Opens the configured database: storage on its URL, or, for the embedded default, on the URL of
 * the embedded server, whose lease this process holds until `db.close()` or `db.interrupt()`
 * (either ends the pool, then the lease, which stops the server when no other live process holds
 * one). Then applies, checks or leaves the schema as PIPELINEJOBS_MIGRATE says.
 */
export async function openConfiguredDatabase(
  config: Config,
  options: OpenDatabaseOptions = {},
): Promise<{ db: Database; embedded?: EmbeddedDatabase }> {
  const pool = {
    poolSize: options.poolSize ?? config.poolSize,
    idleTimeoutSeconds: config.poolIdleTimeoutSeconds,
    schema: config.dbSchema,
  };
  const mode = options.migrate ?? config.migrate;
  if ('url' in config.database) {
    const db = await openDatabase({ url: config.database.url, ...pool }, { migrate: false });
    try {
      await settleSchema(db, config, mode, options.log);
    } catch (error) {
      await db.close();
      throw error;
    }
    return { db };
  }
  const { dataDir } = config.database;
  const server = await acquireEmbeddedServer(dataDir, { log: options.log });
  let db: Database;
  try {
    db = await openDatabase({ url: server.url, ...pool }, { migrate: false });
    try {
      await settleSchema(db, config, mode, options.log);
    } catch (error) {
      await db.close();
      throw error;
    }
  } catch (error) {
    await server.release();
    throw error;
  }
  const thenRelease = async (end: Promise<void>) => {
    try {
      await end;
    } finally {
      await server.release();
    }
  };
  return {
    db: {
      ...db,
      close: () => thenRelease(db.close()),
      interrupt: () => thenRelease(db.interrupt()),
    },
    embedded: { dataDir, port: server.port, created: server.created },
  };
}
