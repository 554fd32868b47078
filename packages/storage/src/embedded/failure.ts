import { StorageError } from '../errors.js';

/** Every embedded-server failure is one `embedded_failed` error whose message says what to do. */
export function fail(message: string, cause?: unknown): never {
  throw new StorageError('embedded_failed', message, {}, { cause });
}

export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
