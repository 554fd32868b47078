import { randomBytes } from 'node:crypto';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import { type Listener, type ListenHandlers, startListener } from './listener.js';
import { applyMigrations, checkSchemaName } from './migrate.js';
import * as schema from './schema.js';

export interface PoolConfig {
  readonly poolSize?: number;
  readonly connectTimeoutSeconds?: number;
  /** Seconds an unused connection stays open. Default 60. */
  readonly idleTimeoutSeconds?: number;
}

export interface DatabaseConfig extends PoolConfig {
  readonly url: string;
  /**
   * The PostgreSQL schema of the tables, instead of `public` (names such as `jobs` clash in a
   * shared database): every connection's search_path is set to it alone.
   */
  readonly schema?: string | undefined;
}

/** The pool's connections by state and the queries waiting for one (the Manager's metrics). */
export interface PoolStats {
  readonly max: number;
  readonly idle: number;
  readonly busy: number;
  readonly connecting: number;
  readonly waiting: number;
}

export interface Database {
  /** postgres.js: used directly on the hot path. */
  readonly sql: Sql;
  /**
   * drizzle over the same pool. drizzle turns off the driver's date parsing and serialisation on
   * this client, so raw queries pass timestamps as ISO text (`::timestamptz`) and get strings back.
   */
  readonly orm: PostgresJsDatabase<typeof schema>;
  /** The schema of the tables; undefined: `public`. */
  readonly schema: string | undefined;
  /** The pool as it is now. */
  pool(): PoolStats;
  /** Seconds an unused connection of the pool stays open. */
  readonly idleSeconds: number;
  /**
   * LISTEN on `channel` over a connection of its own (see listener.ts), until stopped or the pool
   * is closed: the handlers hear each notification and whether the connection is up.
   */
  listen(channel: string, handlers: ListenHandlers): Listener;
  /** True when the database answers a trivial query within `timeoutMs` (default 2000). */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Ends the pool, once the statements in flight have ended (at most 5 s, then at once). */
  close(): Promise<void>;
  /**
   * Ends the pool without waiting for what runs: refuses new statements (outside a transaction
   * already open) and cancels the running ones, each of which then fails with `query_canceled`
   * and has its transaction rolled back. A statement that had already committed stays committed:
   * the caller learns which from how its call ended.
   */
  interrupt(): Promise<void>;
}

export interface OpenOptions {
  /** Apply pending migrations (under an advisory lock). Default true. */
  readonly migrate?: boolean;
}

/** Seconds an unused connection stays open, unless the caller says otherwise. */
export const DEFAULT_POOL_IDLE_SECONDS = 60;

function connect(
  url: string,
  applicationName: string,
  config: PoolConfig & { schema?: string | undefined } = {},
): Sql {
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
    // Startup parameters, so they hold from the first statement of every connection (and
    // through a pool's reconnections) without a SET round trip. The application name is the one
    // the server shows (pg_stat_activity), unique per pool.
    connection: {
      application_name: applicationName,
      ...(config.schema === undefined ? {} : { search_path: `"${config.schema}"` }),
    },
  });
}

/**
 * Cancels the running statements of the pool named `applicationName`, from a connection of its
 * own (the pool's may all be busy). A backend idle between two statements of a transaction has
 * nothing to cancel; its client's next statement then runs, and the caller sees that outcome.
 */
async function cancelRunning(url: string, applicationName: string): Promise<void> {
  const sql = postgres(url, {
    max: 1,
    connect_timeout: 3,
    onnotice: () => {},
    connection: { application_name: 'pipelinejobs cancel' },
  });
  try {
    await sql`select pg_cancel_backend(pid) from pg_stat_activity
      where application_name = ${applicationName} and state = 'active' and pid <> pg_backend_pid()`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Opens the PostgreSQL at `url` and applies pending migrations unless told not to. (Who provides
 * the server is the caller's business: the apps compose an embedded one through the service.)
 */
export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  checkSchemaName(config.schema);
  // Unique per pool, so that `interrupt` cancels this pool's statements and no one else's.
  const applicationName = `pipelinejobs ${randomBytes(4).toString('hex')}`;
  const sql = connect(config.url, applicationName, config);
  const listeners: Listener[] = [];
  const stopListeners = () => Promise.all(listeners.splice(0).map((l) => l.stop()));
  const database: Database = {
    sql,
    orm: drizzle({ client: sql, schema }),
    schema: config.schema,
    pool() {
      const { max, idle, busy, reserved, connecting, waiting } = sql.poolStats();
      return { max, idle, busy: busy + reserved, connecting, waiting };
    },
    idleSeconds: config.idleTimeoutSeconds ?? DEFAULT_POOL_IDLE_SECONDS,
    listen(channel, handlers) {
      const connection = { application_name: `${applicationName} listen` };
      const listener = startListener(config.url, connection, channel, handlers);
      listeners.push(listener);
      return {
        async stop() {
          listeners.splice(listeners.indexOf(listener), 1);
          await listener.stop();
        },
      };
    },
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
      await Promise.all([sql.end({ timeout: 5 }), stopListeners()]);
    },
    async interrupt() {
      const ended = Promise.all([sql.end({ timeout: 5 }), stopListeners()]);
      // Cancelling is best effort: what it could not stop ends with the pool, and the caller
      // learns the outcome from its call either way.
      await cancelRunning(config.url, applicationName).catch(() => {});
      await ended;
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
