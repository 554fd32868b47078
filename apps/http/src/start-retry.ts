import { ServiceError } from '@pipelinejobs/service';

/** Whether waiting can help: the database could not be reached (not a refusal, a bad setting). */
function worthRetrying(error: unknown): error is ServiceError {
  return error instanceof ServiceError && error.code === 'unavailable' && error.details.retry === true;
}

/** Waits before attempt `n` + 1: 0.5 s, 1 s, 2 s, 4 s, then every 5 s. */
const backoffMs = (attempt: number) => Math.min(500 * 2 ** (attempt - 1), 5000);

/**
 * Runs `open` until it succeeds, retrying for `retryMs` with backoff while the database cannot be
 * reached (a server or network still coming up, as in a container starting beside its database),
 * with one log line per failed attempt; then rethrows the last failure. A refusal (wrong
 * password, missing database or privileges) is not retried: waiting would not change it.
 */
export async function withStartRetry<T>(
  open: () => Promise<T>,
  options: {
    retryMs: number;
    log: (line: string) => void;
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + options.retryMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (error) {
      const left = deadline - Date.now();
      if (!worthRetrying(error) || left <= 0) throw error;
      const wait = Math.min(backoffMs(attempt), left);
      options.log(
        `database not reachable (attempt ${attempt}): ${error.message}; retrying in ${(wait / 1000).toFixed(1)} s, for ${Math.ceil(left / 1000)} s more (PIPELINEJOBS_START_RETRY)`,
      );
      await sleep(wait);
    }
  }
}
