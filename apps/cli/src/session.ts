import {
  asServiceError,
  type Config,
  cliOperator,
  type EmbeddedLog,
  openServices,
  type Principal,
  readConfig,
  ServiceError,
  type Services,
} from '@pipelinejobs/service';
import type { Command } from 'commander';
import { globalOptions } from './global-options.js';
import { unlessInterrupted } from './interrupt.js';
import type { Invocation } from './invocation.js';
import type { CliIo, CliWriter } from './io.js';
import { createOutput, type Output } from './output.js';

export interface Session {
  readonly services: Services;
  readonly config: Config;
  readonly out: Output;
  /** Who runs the command: recorded with what it does (history rows, audit records). */
  readonly operator: Principal;
}

/** The operator's user name on this machine (an admin: they hold the database credentials). */
function operator(io: CliIo): Principal {
  return cliOperator(io.user ?? io.env.USER ?? io.env.LOGNAME ?? '');
}

/** The configuration, read once from the run's environment: `--database-url` wins over DATABASE_URL. */
function configOf(command: Command, io: CliIo): Config {
  const { databaseUrl } = globalOptions(command);
  return readConfig({ ...io.env, DATABASE_URL: databaseUrl ?? io.env.DATABASE_URL }, io.cwd);
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
function embeddedLog(stderr: CliWriter): EmbeddedLog | undefined {
  return stderr.isTTY ? (line) => stderr.write(`${line}\n`) : undefined;
}

/**
 * A new, empty database where one was expected usually means the CLI looked in the wrong place
 * (another folder, a missing DATABASE_URL): say so on stderr, whether or not it is a terminal.
 */
export function announceNewDatabase(
  stderr: CliWriter,
  embedded: { created: boolean; dataDir: string } | undefined,
): void {
  if (!embedded?.created) return;
  stderr.write(
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
 * default, closing stops the server when no other process uses it). Ctrl-C (the io's signal)
 * stops waiting for `work` and closes it at once.
 */
async function withClosing<T extends { close(): Promise<void> }>(
  resource: T,
  work: () => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    await unlessInterrupted(work, signal);
  } finally {
    await resource.close();
  }
}

/** Runs a command that needs the services (database, secret); the common case. */
export async function withServices(
  { io }: Invocation,
  command: Command,
  work: (session: Session) => Promise<void>,
  options: { adoptSettings?: boolean } = {},
): Promise<void> {
  const out = createOutput(globalOptions(command), io);
  const config = configOf(command, io);
  let services: Services;
  try {
    services = await openServices(config, {
      log: embeddedLog(io.stderr),
      ...(options.adoptSettings ? { adoptSettings: operator(io) } : {}),
    });
  } catch (error) {
    throw withDatabaseName(error, config);
  }
  announceNewDatabase(io.stderr, services.embedded);
  try {
    await withClosing(services.db, () => work({ services, config, out, operator: operator(io) }), io.signal);
  } catch (error) {
    throw withDatabaseName(error, config);
  }
}

/**
 * Runs a command that opens no services, only the configuration (the `migrate` command, whose use
 * case opens the database itself); the progress log and the new-database notice as for the rest.
 */
export async function withConfig(
  { io }: Invocation,
  command: Command,
  work: (session: {
    config: Config;
    out: Output;
    log: EmbeddedLog | undefined;
    stderr: CliWriter;
  }) => Promise<void>,
): Promise<void> {
  const out = createOutput(globalOptions(command), io);
  const config = configOf(command, io);
  try {
    await work({ config, out, log: embeddedLog(io.stderr), stderr: io.stderr });
  } catch (error) {
    throw withDatabaseName(error, config);
  }
}
