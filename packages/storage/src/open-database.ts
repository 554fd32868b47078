import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import { applyMigrations } from './migrate.js';
import * as schema from './schema.js';

export interface PoolConfig {
  readonly poolSize?: number;
  readonly connectTimeoutSeconds?: number;
  /** Seconds an unused connection stays open. Default 60. */
  readonly idleTimeoutSeconds?: number;
}

export interface DatabaseConfig extends PoolConfig {
  readonly url: string;
}

export interface Database {
  /** postgres.js: used directly on the hot path. */
  readonly sql: Sql;
  /**
   * drizzle over the same pool. drizzle turns off the driver's date parsing and serialisation on
   * this client, so raw queries pass timestamps as ISO text (`::timestamptz`) and get strings back.
   */
  readonly orm: PostgresJsDatabase<typeof schema>;
  /** True when the database answers a trivial query within `timeoutMs` (default 2000). */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Ends the pool. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Apply pending migrations (under an advisory lock). Default true. */
  readonly migrate?: boolean;
}

/** Seconds an unused connection stays open, unless the caller says otherwise. */
export const DEFAULT_POOL_IDLE_SECONDS = 60;

function connect(url: string, config: PoolConfig = {}): Sql {
  return postgres(url, {
    max: config.poolSize ?? 10,
    // Fail fast while the database is down, so callers can answer 503 instead of hanging.
    connect_timeout: config.connectTimeoutSeconds ?? 3,
    idle_timeout: config.idleTimeoutSeconds ?? DEFAULT_POOL_IDLE_SECONDS,
    // After a lost connection the driver waits `backoff` seconds before reconnecting, while
    // queries queue behind it. Its default grows to 20 s, which holds requests long after the
    // database is back; a short fixed wait keeps an outage's requests failing fast (503) and
    // recovery within a second of the database's return.
    backoff: () => 0.5,
    onnotice: () => {},
    connection: { application_name: 'pipelinejobs' },
  });
}

/**
 * Opens the PostgreSQL at `url` and applies pending migrations unless told not to. (Who provides
 * the server is the caller's business: the apps compose an embedded one through the service.)
 */
export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  const sql = connect(config.url, config);
  const database: Database = {
    sql,
    orm: drizzle({ client: sql, schema }),
    async ping(timeoutMs = 2000) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const answered = sql`select 1`.then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([answered, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
  if (options.migrate !== false) {
    try {
      await applyMigrations(database);
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  return database;
}
