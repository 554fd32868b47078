import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AuthError } from './auth-error.js';

/** Version tag of the sealed form: `v1.` + base64url(iv | tag | ciphertext). */
const VERSION = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The key secrets are sealed with: derived from the server secret, for this purpose only. */
function sealingKey(serverSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, '', 'pipelinejobs webhook signing secrets', 32));
}

/**
 * Encrypts a secret the Manager must read again (a subscription's signing secret) with AES-256-GCM
 * under a key derived from the server secret: a database dump alone cannot sign.
 */
export function sealSecret(serverSecret: string, secret: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(serverSecret), iv);
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The secret sealed by sealSecret; an AuthError when it was sealed under another server secret. */
export function openSealedSecret(serverSecret: string, sealed: string): string {
  const raw = Buffer.from(sealed.slice(VERSION.length), 'base64url');
  try {
    if (!sealed.startsWith(VERSION) || raw.length < IV_BYTES + TAG_BYTES) throw new Error('malformed');
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(serverSecret), raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch (error) {
    throw new AuthError(
      'invalid_config',
      'A subscription secret cannot be opened with this server secret (sealed under another one): rotate the subscription secret',
      { cause: error },
    );
  }
}
