import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import { acquireEmbeddedServer, type EmbeddedOptions, releaseEmbeddedServer } from './embedded.js';
import { translated } from './errors.js';
import { migrate } from './migrate.js';
import * as schema from './schema.js';

export type DatabaseConfig =
  | { readonly url: string; readonly poolSize?: number; readonly connectTimeoutSeconds?: number }
  | {
      readonly dataDir: string;
      readonly poolSize?: number;
      readonly connectTimeoutSeconds?: number;
      readonly log?: EmbeddedOptions['log'];
    };

export interface Database {
  /** postgres.js: used directly on the hot path. */
  readonly sql: Sql;
  /**
   * drizzle over the same pool. drizzle turns off the driver's date parsing and serialisation on
   * this client, so raw queries pass timestamps as ISO text (`::timestamptz`) and get strings back.
   */
  readonly orm: PostgresJsDatabase<typeof schema>;
  readonly kind: 'external' | 'embedded';
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  /** Ends the pool; for the embedded default, stops the server when nobody else uses it. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Apply pending migrations (under an advisory lock). Default true. */
  readonly migrate?: boolean;
}

export function connect(
  url: string,
  config: { poolSize?: number; connectTimeoutSeconds?: number } = {},
): Sql {
  return postgres(url, {
    max: config.poolSize ?? 10,
    // Fail fast while the database is down, so callers can answer 503 instead of hanging.
    connect_timeout: config.connectTimeoutSeconds ?? 3,
    idle_timeout: 60,
    onnotice: () => {},
    connection: { application_name: 'pipelinejobs' },
  });
}

/**
 * Opens an external PostgreSQL (`{ url }`) or the embedded default (`{ dataDir }`), and applies
 * pending migrations unless told not to.
 */
export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  const embedded = 'dataDir' in config;
  const server = embedded ? await acquireEmbeddedServer(config.dataDir, { log: config.log }) : undefined;
  const sql = connect(server?.url ?? (config as { url: string }).url, config);
  const database: Database = {
    sql,
    orm: drizzle({ client: sql, schema }),
    kind: embedded ? 'embedded' : 'external',
    async ping() {
      try {
        await sql`select 1`;
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await sql.end({ timeout: 5 });
      if (embedded) await releaseEmbeddedServer(config.dataDir, { log: config.log });
    },
  };
  if (options.migrate !== false) {
    try {
      await translated(() => migrate(sql));
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  return database;
}
