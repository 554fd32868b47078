import { EmbeddedPostgresError } from '@pipelinejobs/embedded-postgres';
import { driverFailure } from '@pipelinejobs/storage';
import { type Config, ConfigError } from './config.js';
import { asServiceError, ServiceError } from './errors.js';

/**
 * What the process was doing when the database failed it: opening it, applying migrations at
 * start (PIPELINEJOBS_MIGRATE=auto), or running `pipelinejobs migrate`.
 */
export type OpenPhase = 'connect' | 'migrate' | 'migrate-command';

/** `host:port` of the configured database, for messages (never the credentials). */
function where(config: Config): string {
  if (!('url' in config.database)) return 'the embedded PostgreSQL';
  try {
    const url = new URL(config.database.url);
    return `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** The user and database name in DATABASE_URL, for messages. */
function names(config: Config): { user: string; database: string } {
  try {
    const url = 'url' in config.database ? new URL(config.database.url) : undefined;
    return {
      user: decodeURIComponent(url?.username ?? '') || 'the default user',
      database: decodeURIComponent(url?.pathname.slice(1) ?? '') || 'the default database',
    };
  } catch {
    return { user: 'the user', database: 'the database' };
  }
}

/** Connection failures that end by themselves (a server starting, a network coming up). */
const UNREACHABLE: Readonly<Record<string, (at: string) => string>> = {
  ECONNREFUSED: (at) =>
    `nothing accepts connections at ${at}: check the host and port in it and that PostgreSQL is running`,
  ENOTFOUND: (at) => `the host of ${at} is not known: check the host name in it`,
  EAI_AGAIN: (at) => `the host of ${at} cannot be looked up now (DNS): check the host name in it`,
  ETIMEDOUT: (at) => `no answer from ${at}: check the host and port in it, the network and firewalls`,
  CONNECT_TIMEOUT: (at) =>
    `no answer from ${at} within 3 s: check the host and port in it, the network and firewalls`,
  EHOSTUNREACH: (at) => `${at} cannot be reached: check the host in it and the network`,
  ECONNRESET: (at) => `${at} closed the connection: check that it is PostgreSQL and its log`,
  CONNECTION_CLOSED: (at) => `${at} closed the connection: check that it is PostgreSQL and its log`,
  // PostgreSQL is starting up, shutting down or in recovery.
  '57P03': (at) => `PostgreSQL at ${at} is not accepting connections yet (starting or recovering)`,
  // max_connections (or the role's or database's connection limit) reached: others may leave.
  '53300': (at) =>
    `PostgreSQL at ${at} has no connection free: check its max_connections, the role's connection limit, and what else connects`,
};

/**
 * A database failure at start said so an operator can act: PostgreSQL's own message, the setting
 * to check, and whether waiting can help (`details.retry`, for the Manager's start retry).
 * Refusals (wrong password, no such database, missing privileges or tables) are configuration
 * errors (exit 2); an unreachable server is `unavailable`. Anything else is left as it is.
 */
export function explainDatabaseFailure(error: unknown, config: Config, phase: OpenPhase): unknown {
  // The embedded server's failures say what to do already; their cause may be a file error
  // (EACCES) that is not the database's.
  if (error instanceof ConfigError || error instanceof EmbeddedPostgresError) return error;
  const driver = driverFailure(error);
  if (!driver) return error;
  const { code, message } = driver;
  const said = `PostgreSQL: ${message}`;
  // Closed while TLS was being set up: most often a server that does not accept TLS, asked for it.
  const explain = /\bTLS\b/.test(message)
    ? (at: string) =>
        `${at} closed the connection while TLS was being set up: check sslmode in it (the server may not accept TLS) and the server's log`
    : UNREACHABLE[code];
  if (explain && 'url' in config.database) {
    return new ServiceError(
      'unavailable',
      `DATABASE_URL: ${explain(where(config))} (${message})`,
      { retry: true, setting: 'DATABASE_URL' },
      { cause: error },
    );
  }
  const { user, database } = names(config);
  const refused = (variable: string, text: string) =>
    new ConfigError(variable, `${text} (${said})`, { cause: error });
  switch (code) {
    case '28P01':
      return refused(
        'DATABASE_URL',
        `the database refused the password of ${user}: check the user and password in it`,
      );
    case '28000':
      return refused(
        'DATABASE_URL',
        `PostgreSQL refused ${user} (pg_hba.conf, or a server that requires TLS: add ?sslmode=require): check the user in it and the server's pg_hba.conf`,
      );
    case '3D000':
      return refused(
        'DATABASE_URL',
        `the database ${database} does not exist on ${where(config)}: create it, or fix the name in it`,
      );
    case '42501':
      if (phase === 'migrate-command') {
        return refused(
          'DATABASE_URL',
          `${user} may not change the schema: run \`pipelinejobs migrate\` as the role that owns it (or may create in the database)`,
        );
      }
      return phase === 'migrate'
        ? refused(
            'PIPELINEJOBS_MIGRATE',
            `${user} may not change the schema: run \`pipelinejobs migrate\` as the role that owns it, and start this role with PIPELINEJOBS_MIGRATE=check (or off)`,
          )
        : refused(
            'DATABASE_URL',
            `${user} lacks a privilege on the tables: grant it what the README's "Deploying" section lists`,
          );
    case '42P01':
      return refused(
        config.migrate === 'auto' ? 'PIPELINEJOBS_DB_SCHEMA' : 'PIPELINEJOBS_MIGRATE',
        `the database has no PipelineJobs tables${config.dbSchema ? ` in schema ${config.dbSchema}` : ''}: run \`pipelinejobs migrate\` (as the schema's owner), or check DATABASE_URL and PIPELINEJOBS_DB_SCHEMA`,
      );
    case '25006':
      return refused(
        'DATABASE_URL',
        'the database is read-only (a standby, or default_transaction_read_only): point it at the primary',
      );
    default: {
      // Anything else the server said: its words and the setting, not "Unexpected database error".
      const failure = asServiceError(error);
      if (failure.code !== 'internal' && failure.code !== 'unavailable') return error;
      return new ServiceError(
        failure.code,
        `${failure.message} while ${phase === 'connect' ? 'opening the database' : 'applying migrations'} at ${where(config)} (${said}; SQLSTATE ${code})`,
        { ...failure.details, setting: 'DATABASE_URL' },
        { cause: error },
      );
    }
  }
}
