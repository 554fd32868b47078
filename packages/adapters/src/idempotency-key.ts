import type { Refusal } from './command.js';
import { refusal } from './refusal.js';

/** The same bounds as the event schema's `event_id`. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/**
 * The `Idempotency-Key` header, if any. It applies to every form and wins over the key a body
 * carries (`event_id`, a Tapis `eventUuid`): the caller who sets it means it.
 */
export function readIdempotencyKey(headers: unknown): string | undefined | Refusal {
  if (typeof headers !== 'object' || headers === null || !Object.hasOwn(headers, 'idempotency-key')) {
    return undefined;
  }
  let value: unknown = (headers as Record<string, unknown>)['idempotency-key'];
  if (value === undefined) return undefined;
  // Repeated headers arrive as a list (Node's headersDistinct); two keys for one request are
  // ambiguous, so they are refused rather than joined or one chosen.
  if (Array.isArray(value)) {
    if (value.length > 1) {
      return refusal(
        'Repeated Idempotency-Key',
        `The Idempotency-Key header was given ${value.length} times: send it once, with one key per event.`,
        [{ path: '/idempotency-key', message: '/idempotency-key must be given once' }],
      );
    }
    value = value[0];
  }
  if (typeof value !== 'string' || value.length < 1 || value.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return refusal(
      'Invalid Idempotency-Key',
      `The Idempotency-Key header must be given once, with 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters: send one key per event, or leave the header out.`,
      [
        {
          path: '/idempotency-key',
          message: `/idempotency-key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
        },
      ],
    );
  }
  return value;
}
