import { AuthError } from './auth-error.js';
import { constantTimeEqual } from './constant-time.js';
import { hmacHex } from './hashing.js';

/** Job and admin tokens are 16 lower-case hex characters (64 bits), as in the original. */
export const TOKEN_LENGTH = 16;

/**
 * A job's token: the first 16 hex of HMAC-SHA256(secret, "job:" + uuid + ":" + tokenVersion).
 * Stable for the life of the job; an admin rotates it by bumping tokenVersion. Nothing secret is
 * stored: the server recomputes it from its secret. Throws AuthError for an empty secret or uuid
 * or a version that is not a non-negative integer (programmer errors, not caller input).
 */
export function jobToken(secret: string, uuid: string, tokenVersion: number): string {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new AuthError('invalid_config', 'the server secret is empty; configure PIPELINEJOBS_SECRET');
  }
  if (typeof uuid !== 'string' || uuid.length === 0) {
    throw new AuthError('invalid_argument', 'a job token needs the job uuid; it was empty');
  }
  if (!Number.isSafeInteger(tokenVersion) || tokenVersion < 0) {
    throw new AuthError('invalid_argument', 'a job token version is a non-negative integer');
  }
  return hmacHex(secret, `job:${uuid}:${tokenVersion}`, TOKEN_LENGTH);
}

/**
 * Whether `candidate` is the job's current token, compared in constant time. Total: returns
 * false (never throws) for any candidate, including non-strings and strings of the wrong length,
 * and for arguments `jobToken` would reject.
 */
export function verifyJobToken(
  secret: string,
  uuid: string,
  tokenVersion: number,
  candidate: unknown,
): boolean {
  let expected: string;
  try {
    expected = jobToken(secret, uuid, tokenVersion);
  } catch {
    // Keep the comparison so a misconfigured server is not faster to say no.
    constantTimeEqual('0'.repeat(TOKEN_LENGTH), candidate);
    return false;
  }
  return constantTimeEqual(expected, candidate);
}
