import { timingSafeEqual } from 'node:crypto';

/**
 * Compares a candidate credential with the expected value in time that depends only on the
 * expected value's length. A candidate of another length (or not a string at all) is compared
 * against a same-length dummy so the work done is the same, then refused. Never throws.
 */
export function constantTimeEqual(expected: string, candidate: unknown): boolean {
  const want = Buffer.from(expected, 'utf8');
  const given = typeof candidate === 'string' ? Buffer.from(candidate, 'utf8') : undefined;
  if (given === undefined || given.length !== want.length) {
    // Same timingSafeEqual call on equal-length buffers as the real path; result ignored.
    timingSafeEqual(want, Buffer.alloc(want.length));
    return false;
  }
  return timingSafeEqual(want, given);
}
