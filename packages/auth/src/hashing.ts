import { createHash, createHmac } from 'node:crypto';

/** Lower-case hex HMAC-SHA256, truncated to `length` characters (tokens use 16, i.e. 64 bits). */
export function hmacHex(secret: string, message: string, length = 64): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex').slice(0, length);
}

/** Lower-case hex SHA-256 of a UTF-8 string. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
