import { hmacHex } from './hashing.js';

/**
 * What a database records of the server secret, so that a process started with another secret
 * can be refused before it hands out different tokens: an HMAC of a fixed label, which says
 * nothing about the secret (it is high-entropy, see `secretWeakness`), 128 bits.
 */
export function secretFingerprint(secret: string): string {
  return hmacHex(secret, 'pipelinejobs:secret-fingerprint:v1', 32);
}

/** The same for the admin token key: admin tokens derive from the secret and this key. */
export function adminKeyFingerprint(secret: string, adminKey: string): string {
  return hmacHex(secret, `pipelinejobs:admin-key-fingerprint:v1:${adminKey}`, 32);
}

/** The shortest server secret accepted (`openssl rand -base64 32` prints 44 characters). */
const MIN_SECRET_LENGTH = 32;
/** A secret of fewer distinct characters is a pattern, not a secret (`aaaa...`, `0101...`). */
const MIN_DISTINCT_CHARACTERS = 12;

/**
 * Why a server secret is too weak to derive tokens from, or undefined when it is fine: too short,
 * surrounded by or made of whitespace, or of too few distinct characters.
 */
export function secretWeakness(secret: string): string | undefined {
  if (secret.trim() !== secret) return 'must not start or end with whitespace';
  if (secret.length < MIN_SECRET_LENGTH) {
    return `is ${secret.length} characters; it must be at least ${MIN_SECRET_LENGTH}`;
  }
  if (new Set(secret).size < MIN_DISTINCT_CHARACTERS) {
    return `has fewer than ${MIN_DISTINCT_CHARACTERS} distinct characters; it must be random`;
  }
  if (repeats(secret)) return 'is a shorter text repeated; it must be random';
  return undefined;
}

/** Whether the text is one shorter block written again and again (`abcabcabc`, `0123401234`). */
function repeats(text: string): boolean {
  for (let period = 1; period <= text.length / 2; period += 1) {
    let periodic = true;
    for (let i = period; i < text.length && periodic; i += 1) periodic = text[i] === text[i - period];
    if (periodic) return true;
  }
  return false;
}
