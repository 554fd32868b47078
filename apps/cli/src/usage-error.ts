import { ServiceError } from '@pipelinejobs/service';

/** A command line the CLI cannot run as given (a malformed option value): exit 2, one line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Runs the service's parser of option values: what it refuses as invalid is a usage error here,
 * as commander's own option checks are, so a bad `--limit` exits 2 like a bad `--bogus`.
 */
export function asOptions<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ServiceError && error.code === 'invalid') throw new UsageError(error.message);
    throw error;
  }
}
