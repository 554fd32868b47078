/** How often and how patiently a call that may be repeated is tried again. */
export interface RetryPolicy {
  /** Tries in all, the first included; 1 never retries. Default 5. */
  readonly attempts: number;
  /** The first backoff's ceiling; each retry doubles it. Default 200 ms. */
  readonly baseDelayMs: number;
  /** No backoff is longer, Retry-After included (a longer Retry-After ends the retries). Default 30 s. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 30_000 };

/** The statuses worth trying again: the Manager is busy (429) or its database is away (503). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * Milliseconds a Retry-After header asks for (RFC 9110 §10.2.3: delay-seconds or an HTTP date),
 * or undefined when there is none or it cannot be read.
 */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait before retry number `retry` (0 for the first): exponential backoff with full jitter,
 * uniformly between 0 and min(max, base * 2^retry), so that many clients refused at once do not
 * come back at once; a Retry-After the server sent is waited at least.
 */
export function backoffMs(
  policy: RetryPolicy,
  retry: number,
  serverAskedMs?: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  const jittered = Math.floor(random() * ceiling);
  return serverAskedMs === undefined ? jittered : Math.max(serverAskedMs, jittered);
}
