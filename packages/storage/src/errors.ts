// The patched postgres.js (see package.json "imports": packed, a copy travels with the package).
import postgres from '#postgres';

export type StorageErrorCode =
  /** The job, pipeline, key or nonce does not exist. */
  | 'not_found'
  /** The job was deleted (hidden). */
  | 'gone'
  /** The write conflicts with the current data (a record that already exists, a concurrent write). */
  | 'conflict'
  /** The idempotency key was already used on this job for a different request. */
  | 'key_reused'
  /** The state machine refuses the event in the job's current state. */
  | 'not_allowed'
  /** The input cannot be stored as given. */
  | 'invalid'
  /** The database cannot be reached or is shutting down; retrying later may work. */
  | 'unavailable'
  /** Anything the database reported that none of the above explains. */
  | 'internal';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The error the driver raised. drizzle wraps driver errors in a DrizzleQueryError (message
 * "Failed query: ...") with the driver's error as `cause`; the cause is what says what happened.
 */
function driverCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 4; depth++) {
    if (current instanceof postgres.PostgresError || hasDriverCode(current)) return current;
    const cause = (current as { cause?: unknown } | null)?.cause;
    if (cause === undefined || cause === null) break;
    current = cause;
  }
  return error;
}

function hasDriverCode(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(E[A-Z]+|CONNECT_TIMEOUT|CONNECTION_[A-Z]+)$/.test(code);
}

/** An error raised by PostgreSQL or by the driver's connection handling, wrapped or not. */
export function isDriverError(error: unknown): boolean {
  const cause = driverCause(error);
  return cause instanceof postgres.PostgresError || hasDriverCode(cause);
}

/**
 * The driver's codes for a connection that went away while a statement may have been in flight:
 * the statement may have committed without its answer arriving. (CONNECTION_ENDED is a statement
 * refused before it was sent; a PostgreSQL error is a statement that failed, its transaction
 * rolled back.)
 */
const ANSWER_LOST = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
]);

/** Whether a failed call may still have written what it meant to: its database answer was lost. */
export function isOutcomeUnknown(error: unknown): boolean {
  const cause = driverCause(error) as { code?: unknown } | null;
  return !(cause instanceof postgres.PostgresError) && ANSWER_LOST.has(String(cause?.code));
}

/**
 * What PostgreSQL or the driver said, however wrapped: its SQLSTATE or error code and its own
 * message, so an operator reads the server's words (the apps quote them at start).
 */
export function driverFailure(error: unknown): { code: string; message: string } | undefined {
  const cause = driverCause(error);
  if (!isDriverError(cause)) return undefined;
  const e = cause as { code?: string; errno?: string; message?: string };
  return { code: String(e.code ?? e.errno ?? ''), message: String(e.message ?? '') };
}

/** SQLSTATE classes and codes that mean "try again later" rather than "your input is wrong". */
const UNAVAILABLE = /^(08|53|57P0[1-4]|58)/;
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

const BY_SQLSTATE: Readonly<Record<string, readonly [StorageErrorCode, string]>> = {
  '23505': ['conflict', 'The record already exists'],
  '23503': ['not_found', 'A referenced record does not exist'],
  '40001': ['conflict', 'A concurrent write conflicted; retry the request'],
  '40P01': ['conflict', 'A concurrent write conflicted; retry the request'],
  // query_canceled: the server's statement_timeout, or an operator's pg_cancel_backend (also the
  // Manager's own interrupt at shutdown). Nothing of the statement stays and waiting may help:
  // not an internal error (500).
  '57014': [
    'unavailable',
    'The database cancelled the statement (a statement_timeout, or an operator); try again shortly',
  ],
  // Data exceptions: a value the database cannot take (bad text encoding, out of range numbers
  // or dates, malformed date/time, JSON it cannot store) and limits on sizes.
  '22P02': ['invalid', 'The value cannot be stored as given'],
  '22P05': ['invalid', 'The value cannot be stored as given'],
  '22021': ['invalid', 'The value cannot be stored as given'],
  '22003': ['invalid', 'The value cannot be stored as given'],
  '22007': ['invalid', 'The date or time is not valid'],
  '22008': ['invalid', 'The date or time is out of range'],
  '22009': ['invalid', 'The time zone is not valid'],
  '54000': ['invalid', 'The value cannot be stored as given'],
  '54001': ['invalid', 'The value cannot be stored as given'],
};

/**
 * Failures that are the operator's to fix (privileges, disk, a read-only database or file
 * system): retrying does not help until someone acts. Each is 'unavailable' with a `condition`
 * naming it and a detail saying what to do; the apps log each condition once. PostgreSQL reports a
 * file it cannot write with the errno's SQLSTATE (EACCES and EROFS as 42501, ENOSPC as 53100,
 * EIO as 58030), so these also cover a data directory or WAL disk that turned read-only or full.
 */
const OPERATOR: Readonly<Record<string, readonly [condition: string, detail: string]>> = {
  '25006': [
    'read_only',
    'The database refuses writes: it is read-only (default_transaction_read_only is on, or DATABASE_URL points at a standby); make it writable or point DATABASE_URL at the primary',
  ],
  '42501': [
    'permission_denied',
    "The database refuses writes: permission denied; grant the Manager's database role its privileges on the tables, and check the data directory's file permissions",
  ],
  '53100': ['disk_full', "The database refuses writes: disk full; free space on the database server's disk"],
  '53000': [
    'insufficient_resources',
    'The database is out of a resource (such as open files); see the database server log',
  ],
  '53200': ['out_of_memory', 'The database is out of memory; see the database server log'],
  '58030': [
    'io_error',
    "The database cannot read or write its files: I/O error; check the database server's disk",
  ],
};
/**
 * The same causes when PostgreSQL reports them under another code of the resource and system
 * classes (53, 58, XX: it keeps the errno's text). Only those classes: a message of another
 * error can quote a caller's text, which must not be able to turn the Manager unready.
 */
const OPERATOR_BY_TEXT: readonly (readonly [RegExp, string])[] = [
  [/No space left on device/i, '53100'],
  [/Read-only file system/i, '25006'],
];
const SYSTEM_CLASSES = /^(53|58|XX)/;

function operatorCondition(code: string, message: string): readonly [string, string] | undefined {
  const direct = OPERATOR[code];
  if (direct) return direct;
  if (!SYSTEM_CLASSES.test(code)) return undefined;
  const byText = OPERATOR_BY_TEXT.find(([pattern]) => pattern.test(message));
  return byText ? OPERATOR[byText[1]] : undefined;
}

/** The one place where PostgreSQL and driver errors become StorageErrors (the cause is kept). */
export function translateError(error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const cause = driverCause(error);
  const e = (typeof cause === 'object' && cause !== null ? cause : {}) as {
    code?: string;
    errno?: string;
    message?: string;
  };
  const code = e.code ?? e.errno ?? '';
  const operator = isDriverError(cause) ? operatorCondition(code, String(e.message ?? '')) : undefined;
  if (operator) {
    const [condition, detail] = operator;
    return new StorageError('unavailable', detail, { sqlstate: code, condition }, { cause: error });
  }
  if (CONNECTION_CODES.has(code) || UNAVAILABLE.test(code)) {
    return new StorageError(
      'unavailable',
      'The database is unavailable; try again shortly',
      { sqlstate: code },
      { cause: error },
    );
  }
  const [kind, message] = BY_SQLSTATE[code] ?? ['internal', 'Unexpected database error'];
  return new StorageError(kind, message, { sqlstate: code }, { cause: error });
}

/** Runs a database call and translates whatever it throws. */
export async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateError(error);
  }
}
