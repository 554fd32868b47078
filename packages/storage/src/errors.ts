import postgres from 'postgres';

export type StorageErrorCode =
  /** The job, pipeline, key or nonce does not exist. */
  | 'not_found'
  /** The job was deleted (hidden). */
  | 'gone'
  /** The write conflicts with the current data (idempotency key reused for another event, ...). */
  | 'conflict'
  /** The state machine refuses the event in the job's current state. */
  | 'not_allowed'
  /** The input cannot be stored as given. */
  | 'invalid'
  /** The database cannot be reached or is shutting down; retrying later may work. */
  | 'unavailable'
  /** The embedded PostgreSQL cannot start here; the message says what to do. */
  | 'embedded_failed'
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

/** An error raised by PostgreSQL or by the driver's connection handling. */
export function isDriverError(error: unknown): boolean {
  if (error instanceof postgres.PostgresError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(E[A-Z]+|CONNECT_TIMEOUT|CONNECTION_[A-Z]+)$/.test(code);
}

interface DriverError {
  code?: string;
  errno?: string;
  message?: string;
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

/** The one place where PostgreSQL and driver errors become StorageErrors. */
export function translateError(error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as DriverError;
  const code = e.code ?? e.errno ?? '';
  if (CONNECTION_CODES.has(code) || UNAVAILABLE.test(code)) {
    return new StorageError(
      'unavailable',
      'The database is unavailable; try again shortly',
      { sqlstate: code },
      {
        cause: error,
      },
    );
  }
  switch (code) {
    case '23505':
      return new StorageError('conflict', 'The record already exists', { sqlstate: code }, { cause: error });
    case '23503':
      return new StorageError(
        'not_found',
        'A referenced record does not exist',
        { sqlstate: code },
        {
          cause: error,
        },
      );
    case '40001':
    case '40P01':
      return new StorageError(
        'conflict',
        'A concurrent write conflicted; retry the request',
        { sqlstate: code },
        {
          cause: error,
        },
      );
    case '22P02':
    case '22P05':
    case '22021':
    case '22003':
    case '54000':
    case '54001':
      return new StorageError(
        'invalid',
        'The value cannot be stored as given',
        { sqlstate: code },
        {
          cause: error,
        },
      );
    default:
      return new StorageError('internal', 'Unexpected database error', { sqlstate: code }, { cause: error });
  }
}

/** Runs a database call and translates whatever it throws. */
export async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateError(error);
  }
}
