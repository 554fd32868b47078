import { sha256Hex } from './hashing.js';
import { generateCredential, hasCredentialShape } from './random-credential.js';

const NONCE_PREFIX = 'pjn_';

export interface GeneratedNonce {
  /** The nonce itself: goes into callback URLs as `x-nonce=...`, never stored. */
  nonce: string;
  /** First 12 characters (`pjn_` + 8), stored in clear for listing. */
  prefix: string;
  /** What the database stores: `hashNonce(nonce)`. */
  hash: string;
}

/**
 * A new nonce: `pjn_` + base64url of 24 random bytes. Nonces are issued by admins with a use
 * limit, an expiry, a role (default `reporter`) and optionally one job as scope; each use is
 * consumed atomically in the database (storage's `NoncePort`), not here.
 */
export function generateNonce(): GeneratedNonce {
  const { value, prefix, hash } = generateCredential(NONCE_PREFIX);
  return { nonce: value, prefix, hash };
}

/** Hex SHA-256: nonces are high-entropy random values, so a fast hash is right (see hashApiKey). */
export function hashNonce(nonce: string): string {
  return sha256Hex(nonce);
}

/** Whether `value` has the shape of a nonce (`pjn_` + 32 base64url characters). */
export function looksLikeNonce(value: unknown): value is string {
  return hasCredentialShape(NONCE_PREFIX, value);
}
