/** How the Manager delivers notifications (apps/http/README.md lists the variables). */
export interface WebhookSettings {
  /** Deliver to loopback, private and link-local addresses too (tests, a private network). */
  readonly allowPrivate: boolean;
  /** The wait before each retry; a notification is given up after the last one. */
  readonly retryScheduleMs: readonly number[];
  /** One attempt's limit: connecting, sending and the receiver's answer. */
  readonly timeoutMs: number;
  /** A subscription whose every attempt failed for this long is disabled. */
  readonly disableAfterMs: number;
  /** How long the secret before a rotation stays valid (and signed with). */
  readonly secretGraceMs: number;
  /** How often a dispatcher looks for due notifications without being woken (LISTEN/NOTIFY). */
  readonly pollMs: number;
  /** Deliveries in flight at once per dispatcher. */
  readonly concurrency: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 27.6 h after the first try). */
export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  allowPrivate: false,
  retryScheduleMs: [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR],
  timeoutMs: 15 * SECOND,
  disableAfterMs: 5 * 24 * HOUR,
  secretGraceMs: 24 * HOUR,
  pollMs: 5 * SECOND,
  concurrency: 16,
};
