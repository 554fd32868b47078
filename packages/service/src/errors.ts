import { isAuthError } from '@pipelinejobs/auth';
import { EmbeddedPostgresError } from '@pipelinejobs/embedded-postgres';
import { isDriverError, StorageError, type StorageErrorCode, translateError } from '@pipelinejobs/storage';

/**
 * Every error code an app has to answer. The HTTP app maps each to a status and the CLI to an
 * exit code, in tables the compiler checks are total (`Record<ServiceErrorCode, ...>`).
 */
export type ServiceErrorCode =
  | StorageErrorCode
  | 'unauthenticated'
  | 'forbidden'
  | 'expired'
  | 'exhausted'
  | 'rate_limited'
  | 'too_large'
  | 'unsupported_media_type';

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  /** A title more precise than the code's ("Reserved event" for an `invalid`), when there is one. */
  readonly title: string | undefined;
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    /** Extra members for the problem document (state, allowed, errors, ...); never secrets. */
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown; title?: string },
  ) {
    super(message, options);
    this.title = options?.title;
  }
}

/** The one place where package errors become ServiceErrors. */
export function asServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  // A database error that escaped a repository untranslated still says what happened (503 for a
  // disk the operator must free, not a bare 500).
  // The embedded server cannot start (or was refused a restart): its message says what to do
  // (checked first: its cause may be a file error, EACCES, that is not the database's).
  if (error instanceof EmbeddedPostgresError) {
    return new ServiceError('unavailable', error.message, {}, { cause: error });
  }
  if (!(error instanceof StorageError) && isDriverError(error)) return asServiceError(translateError(error));
  if (error instanceof StorageError) {
    return new ServiceError(error.code, error.message, error.details, { cause: error });
  }
  if (isAuthError(error)) {
    if (error.code === 'jwks_unavailable') {
      return new ServiceError(
        'unavailable',
        'The token issuer cannot be reached; try again shortly',
        {},
        {
          cause: error,
        },
      );
    }
    return new ServiceError('internal', 'Authentication is misconfigured', {}, { cause: error });
  }
  return new ServiceError('internal', 'Unexpected error', {}, { cause: error });
}

/** Refuses a document that does not match its schema, with every issue. */
export function invalidDocument(title: string, issues: readonly { path: string; message: string }[]): never {
  throw new ServiceError('invalid', `${title}: ${issues.map((i) => i.message).join('; ')}`, {
    errors: issues,
  });
}
