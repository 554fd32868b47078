import {
  asServiceError,
  type Config,
  ConfigError,
  cliOperator,
  closeServices,
  type EmbeddedLog,
  type InterruptedOutcome,
  interruptedOutcome,
  interruptServices,
  openServices,
  type Principal,
  readConfig,
  ServiceError,
  type Services,
} from '@pipelinejobs/service';
import type { Command } from 'commander';
import { globalOptions } from './global-options.js';
import { Interrupted } from './interrupt.js';
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
  // A setting to fix already names itself (and may carry the driver's error as its cause).
  if (error instanceof ConfigError) return error;
  const failure = asServiceError(error);
  if (failure.code !== 'unavailable') return error;
  return new ServiceError(
    'unavailable',
    `${failure.message} (${describeDatabase(config)})`,
    failure.details,
    { cause: error },
  );
}

/** What a command changes, for saying after Ctrl-C whether the change was made. */
interface Change {
  /** A noun phrase: "the event", "the job". */
  what: string;
  /** A command that shows whether it was made, for when that is not known. */
  check?: string;
}

/** The line Ctrl-C leaves about a command's change: what became of it, as the database said. */
function interruptedLine(change: Change, outcome: InterruptedOutcome): string {
  const said = {
    applied: `${change.what} was applied`,
    not_applied: `${change.what} was not applied`,
    unknown: `whether ${change.what} was applied is not known (the database's answer was lost)${
      change.check ? `; see \`${change.check}\`` : ''
    }`,
  }[outcome];
  return `pipelinejobs: interrupted: ${said}\n`;
}

/**
 * Runs `work` with the services and closes them afterwards whatever happens (for the embedded
 * default, closing stops the server when no other process uses it). Ctrl-C (the io's signal)
 * cancels the statements `work` has in flight and closes the services at once, then waits for
 * `work` to end: a statement that had already committed stays so, and the outcome of the
 * command's `change`, if it makes one, is said on stderr from how `work` ended.
 */
async function withClosing(
  services: Services,
  work: () => Promise<void>,
  { signal, stderr }: { signal: AbortSignal | undefined; stderr: CliWriter },
  change: Change | undefined,
): Promise<void> {
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping = interruptServices(services).catch(() => {});
  };
  let ended: { ok: true } | { ok: false; error: unknown };
  if (signal?.aborted) {
    ended = { ok: false, error: new Interrupted() };
  } else {
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await work();
      ended = { ok: true };
    } catch (error) {
      ended = { ok: false, error };
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }
  await (stopping ?? closeServices(services));
  if (signal?.aborted) {
    if (change) stderr.write(interruptedLine(change, interruptedOutcome(ended)));
    throw new Interrupted();
  }
  if (!ended.ok) throw ended.error;
}

/** Runs a command that needs the services (database, secret); the common case. */
export async function withServices(
  { io }: Invocation,
  command: Command,
  work: (session: Session) => Promise<void>,
  options: { adoptSettings?: boolean; change?: Change } = {},
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
    await withClosing(
      services,
      () => work({ services, config, out, operator: operator(io) }),
      { signal: io.signal, stderr: io.stderr },
      options.change,
    );
  } catch (error) {
    throw withDatabaseName(error, config);
  }
}

/** withServices for a command that changes something: after Ctrl-C it says whether `change` was made. */
export function withServicesChanging(
  invocation: Invocation,
  command: Command,
  change: Change,
  work: (session: Session) => Promise<void>,
): Promise<void> {
  return withServices(invocation, command, work, { change });
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
