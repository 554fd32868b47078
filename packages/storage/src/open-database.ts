import { randomBytes } from 'node:crypto';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
// The patched postgres.js (see package.json "imports": packed, a copy travels with the package).
import postgres, { type Sql } from '#postgres';
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

/** Seconds one connection attempt may take, unless the caller says otherwise. */
const CONNECT_TIMEOUT_SECONDS = 3;

/**
 * Seconds the first answer of a new pool may take: several connection attempts, so that a loaded
 * server is not taken for one that closes every connection.
 */
const FIRST_ANSWER_SECONDS = 10;

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
    connect_timeout: config.connectTimeoutSeconds ?? CONNECT_TIMEOUT_SECONDS,
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
 * Startup parameters this storage sets on every connection, and why: the driver lets a URL's
 * query parameters override them.
 */
const OWN_PARAMETERS: Readonly<Record<string, string>> = {
  search_path:
    'the Manager sets it to the schema of its tables: remove it, and choose the schema with PIPELINEJOBS_DB_SCHEMA',
  application_name:
    'the Manager names its connections itself (to cancel its own statements at shutdown): remove it',
};

/**
 * Why `url` is not usable as the database's URL, or undefined when it is: one the driver cannot
 * read (the usual cause is a password with a character a URL reserves, not percent-encoded), or
 * one setting a startup parameter this storage sets. Reading opens no connection; the message
 * never holds the URL.
 */
export function databaseUrlFault(url: string): string | undefined {
  const sentinel = Object.fromEntries(Object.keys(OWN_PARAMETERS).map((name) => [name, '\u0000']));
  let connection: Record<string, unknown>;
  try {
    connection = postgres(url, { max: 1, onnotice: () => {}, connection: sentinel }).options.connection;
  } catch (error) {
    return `cannot be read (${error instanceof Error ? error.message : String(error)}): percent-encode the characters a URL reserves in the user and password (% as %25, # as %23, @ as %40, / as %2F, : as %3A, ? as %3F) and check the port is a number`;
  }
  // PostgreSQL reads setting names in any case, and `options` (-c name=value) sets them too.
  for (const [name, value] of Object.entries(connection)) {
    const setting = name.toLowerCase();
    if (Object.hasOwn(OWN_PARAMETERS, setting) && value !== '\u0000') {
      return `sets ?${name}=, but ${OWN_PARAMETERS[setting]}`;
    }
    if (setting === 'options') {
      const named = Object.keys(OWN_PARAMETERS).find((own) => String(value).toLowerCase().includes(own));
      if (named !== undefined) {
        return `sets ${named} in ?options=, but ${OWN_PARAMETERS[named]}`;
      }
    }
  }
  return undefined;
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
 * Waits for the pool's first answer, at most `timeoutMs`. The driver's connect timeout covers one
 * attempt; a connection closed during its start-up (a proxy with nothing behind it) is retried at
 * once and for ever, and the statement waiting for it never fails. Past the deadline the failure
 * is of the driver's kind (CONNECTION_CLOSED), as an operator reads it.
 */
async function firstAnswer(sql: Sql, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs);
  });
  try {
    if ((await Promise.race([sql`select 1`, deadline])) !== 'late') return;
  } finally {
    clearTimeout(timer);
  }
  throw Object.assign(
    new Error(
      `no connection finished its start-up within ${timeoutMs / 1000} s: each was closed, or answered too slowly`,
    ),
    { code: 'CONNECTION_CLOSED' },
  );
}

/**
 * Opens the PostgreSQL at `url`, once it answers (its failure otherwise), and applies pending
 * migrations unless told not to. (Who provides
 * the server is the caller's business: the apps compose an embedded one through the service.)
 */
export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  checkSchemaName(config.schema);
  // Unique per pool, so that `interrupt` cancels this pool's statements and no one else's.
  const applicationName = `pipelinejobs ${randomBytes(4).toString('hex')}`;
  const sql = connect(config.url, applicationName, config);
  const listeners: Listener[] = [];
  // Once the pool closes, no new listening connection is opened (nothing would close it).
  let closed = false;
  const stopListeners = () => {
    closed = true;
    return Promise.all(listeners.splice(0).map((l) => l.stop()));
  };
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
      if (closed) return { async stop() {} };
      const connection = { application_name: `${applicationName} listen` };
      const listener = startListener(config.url, connection, channel, handlers);
      listeners.push(listener);
      return {
        async stop() {
          const at = listeners.indexOf(listener);
          if (at >= 0) listeners.splice(at, 1);
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
  try {
    await firstAnswer(sql, FIRST_ANSWER_SECONDS * 1000);
  } catch (error) {
    // Nothing of this pool may go on connecting once the caller has its failure.
    await sql.end({ timeout: 0 });
    throw error;
  }
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
