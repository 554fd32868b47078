/**
 * Every failure of the embedded server is one error whose message says what to do (set
 * DATABASE_URL, free the disk, allow a build script, ...). The composing code decides what it
 * means to its users; the Manager answers it as "unavailable".
 */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
  readonly code = 'embedded_failed';
}

export function fail(message: string, cause?: unknown): never {
  throw new EmbeddedPostgresError(message, { cause });
}

export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
