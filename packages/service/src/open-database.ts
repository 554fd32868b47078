import { acquireEmbeddedServer, type EmbeddedLog } from '@pipelinejobs/embedded-postgres';
import { type Database, type OpenOptions, openDatabase } from '@pipelinejobs/storage';
import type { Config } from './config.js';

/** The embedded default of a process: where its data is, and whether this process created it. */
export interface EmbeddedDatabase {
  readonly dataDir: string;
  readonly port: number;
  readonly created: boolean;
}

export interface OpenDatabaseOptions extends OpenOptions {
  /** The embedded server's progress lines (start, reuse, restart). */
  readonly log?: EmbeddedLog;
  /** Instead of the configured pool size (`migrate` needs one connection). */
  readonly poolSize?: number;
}

/**
 * Opens the configured database: storage on its URL, or, for the embedded default, on the URL of
 * the embedded server, whose lease this process holds until `db.close()` or `db.interrupt()`
 * (either ends the pool, then the lease, which stops the server when no other live process holds
 * one).
 */
export async function openConfiguredDatabase(
  config: Config,
  options: OpenDatabaseOptions = {},
): Promise<{ db: Database; embedded?: EmbeddedDatabase }> {
  const pool = {
    poolSize: options.poolSize ?? config.poolSize,
    idleTimeoutSeconds: config.poolIdleTimeoutSeconds,
  };
  const open = { migrate: options.migrate };
  if ('url' in config.database) {
    return { db: await openDatabase({ url: config.database.url, ...pool }, open) };
  }
  const { dataDir } = config.database;
  const server = await acquireEmbeddedServer(dataDir, { log: options.log });
  let db: Database;
  try {
    db = await openDatabase({ url: server.url, ...pool }, open);
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
