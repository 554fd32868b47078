import { sha256Hex } from './hashing.js';
import { generateCredential, hasCredentialShape } from './random-credential.js';

export const API_KEY_PREFIX = 'pjm_';

export interface GeneratedApiKey {
  /** The key itself: shown to its owner once, never stored. */
  key: string;
  /** First 12 characters (`pjm_` + 8), stored in clear so keys can be listed and told apart. */
  prefix: string;
  /** What the database stores and looks keys up by: `hashApiKey(key)`. */
  hash: string;
}

/** A new API key: `pjm_` + base64url of 24 random bytes (192 bits of entropy). */
export function generateApiKey(): GeneratedApiKey {
  const { value, prefix, hash } = generateCredential(API_KEY_PREFIX);
  return { key: value, prefix, hash };
}

/**
 * Hex SHA-256 of the key. A fast unsalted hash is right here, unlike for passwords: keys are
 * 192 random bits, so there is nothing to brute-force, and a deterministic hash lets the
 * database find the key by an indexed equality lookup. That lookup is not constant-time, and
 * needs not be: its timing can only reveal bits of a hash of the candidate, never of a stored key.
 */
export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

/** Whether `value` has the shape of an API key (`pjm_` + 32 base64url characters). */
export function looksLikeApiKey(value: unknown): value is string {
  return hasCredentialShape(API_KEY_PREFIX, value);
}
