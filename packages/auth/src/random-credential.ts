import { randomBytes } from 'node:crypto';
import { sha256Hex } from './hashing.js';

/** A freshly generated bearer credential: show `key`/`nonce` once, store only `prefix` and `hash`. */
export interface GeneratedCredential {
  value: string;
  /** The first 12 characters (type prefix + 8), safe to list and log; identifies, never authenticates. */
  prefix: string;
  hash: string;
}

const CREDENTIAL_RANDOM_BYTES = 24;
const CREDENTIAL_LISTING_PREFIX_LENGTH = 12;

/** `typePrefix` + base64url of 24 random bytes (192 bits): 32 characters after the prefix. */
export function generateCredential(typePrefix: string): GeneratedCredential {
  const value = typePrefix + randomBytes(CREDENTIAL_RANDOM_BYTES).toString('base64url');
  return { value, prefix: value.slice(0, CREDENTIAL_LISTING_PREFIX_LENGTH), hash: sha256Hex(value) };
}

/** Whether `value` has the shape `generateCredential(typePrefix)` produces. */
export function hasCredentialShape(typePrefix: string, value: unknown): value is string {
  if (typeof value !== 'string' || !value.startsWith(typePrefix)) return false;
  // 24 bytes encode to exactly 32 base64url characters, without padding.
  return /^[A-Za-z0-9_-]{32}$/.test(value.slice(typePrefix.length));
}
