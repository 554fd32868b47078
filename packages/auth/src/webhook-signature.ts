import { createHmac, randomBytes } from 'node:crypto';

/** The Standard Webhooks secret prefix; the rest is the base64 of the key. */
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

/** A new signing secret: `whsec_` + base64 of 32 random bytes, shown once to the subscriber. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/**
 * The `webhook-signature` header of Standard Webhooks v1 for one message: `v1,` + base64
 * HMAC-SHA256 of `id.timestamp.body` under each secret's key, space-separated (several during a
 * secret rotation, newest first).
 */
export function webhookSignature(
  secrets: readonly string[],
  message: { id: string; timestamp: number; body: string },
): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
      const mac = createHmac('sha256', key)
        .update(`${message.id}.${message.timestamp}.${message.body}`, 'utf8')
        .digest('base64');
      return `v1,${mac}`;
    })
    .join(' ');
}
