import { userInfo } from 'node:os';
import {
  asServiceError,
  type Config,
  cliOperator,
  type EmbeddedLog,
  type OpenServicesOptions,
  openServices,
  type Principal,
  readConfig,
  ServiceError,
  type Services,
} from '@pipelinejobs/service';
import type { Command } from 'commander';
import { globalOptions } from './global-options.js';
import { createOutput, type Output } from './output.js';

export interface Session {
  readonly services: Services;
  readonly config: Config;
  readonly out: Output;
  /** Who runs the command: recorded with what it does (history rows, audit records). */
  readonly operator: Principal;
}

/** The operator's user name on this machine (an admin: they hold the database credentials). */
function operator(): Principal {
  let name = process.env.USER ?? process.env.LOGNAME ?? '';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (some containers): the environment's name, or unknown
  }
  return cliOperator(name);
}

/** The configuration, read once: `--database-url` wins over DATABASE_URL. */
export function configOf(command: Command): Config {
  const { databaseUrl } = globalOptions(command);
  return readConfig({ ...process.env, DATABASE_URL: databaseUrl ?? process.env.DATABASE_URL }, process.cwd());
}

/** Where the data is, for messages: the URL without credentials, or the embedded data directory. */
function describeDatabase(config: Config): string {
  if ('dataDir' in config.database) return `embedded PostgreSQL in ${config.database.dataDir}`;
  try {
    const url = new URL(config.database.url);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** Progress of the embedded server (starting, reusing) is worth a line only for a person watching. */
function embeddedLog(): ((line: string) => void) | undefined {
  return process.stderr.isTTY ? (line) => process.stderr.write(`${line}\n`) : undefined;
}

/**
 * A new, empty database where one was expected usually means the CLI looked in the wrong place
 * (another folder, a missing DATABASE_URL): say so on stderr, whether or not it is a terminal.
 */
function announceNewDatabase(embedded: { created: boolean; dataDir: string } | undefined): void {
  if (!embedded?.created) return;
  process.stderr.write(
    `pipelinejobs: created a new embedded PostgreSQL database in ${embedded.dataDir} ` +
      '(none was there; set DATABASE_URL or PIPELINEJOBS_DATA_DIR to use another)\n',
  );
}

/** "Database unavailable" says which database, since the CLI may be pointed at several. */
function withDatabaseName(error: unknown, config: Config): unknown {
  const failure = asServiceError(error);
  if (failure.code !== 'unavailable') return error;
  return new ServiceError(
    'unavailable',
    `${failure.message} (${describeDatabase(config)})`,
    failure.details,
    { cause: error },
  );
}

/**
 * Runs `work` with an open database and closes it afterwards whatever happens (for the embedded
 * default, closing stops the server when no other process uses it). Ctrl-C closes it too.
 */
async function withClosing<T extends { close(): Promise<void> }>(
  resource: T,
  work: () => Promise<void>,
): Promise<void> {
  const interrupt = () => {
    void resource.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  try {
    await work();
  } finally {
    process.off('SIGINT', interrupt);
    await resource.close();
  }
}

/** Runs a command that needs the services (database, secret); the common case. */
export async function withServices(
  command: Command,
  work: (session: Session) => Promise<void>,
  options: Pick<OpenServicesOptions, 'adoptSettings'> = {},
): Promise<void> {
  const out = createOutput(globalOptions(command));
  const config = configOf(command);
  let services: Services;
  try {
    services = await openServices(config, { log: embeddedLog(), ...options });
  } catch (error) {
    throw withDatabaseName(error, config);
  }
  announceNewDatabase(services.embedded);
  try {
    await withClosing(services.db, () => work({ services, config, out, operator: operator() }));
  } catch (error) {
    throw withDatabaseName(error, config);
  }
}

/**
 * Runs a command that opens no services, only the configuration (the `migrate` command, whose use
 * case opens the database itself); the progress log and the new-database notice as for the rest.
 */
export async function withConfig(
  command: Command,
  work: (session: { config: Config; out: Output; log: EmbeddedLog | undefined }) => Promise<void>,
): Promise<void> {
  const out = createOutput(globalOptions(command));
  const config = configOf(command);
  try {
    await work({ config, out, log: embeddedLog() });
  } catch (error) {
    throw withDatabaseName(error, config);
  }
}

/** The notice for a database a command created, for commands that open it through a use case. */
export { announceNewDatabase };
