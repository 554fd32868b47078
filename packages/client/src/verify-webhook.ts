// The receivers' verifier of the Manager's notifications: no dependency but Web Crypto, so it
// runs in Node 20+ and browsers alike.
import type { WebhookNotification } from '@pipelinejobs/schemas';

/** Why a notification was refused. */
export type WebhookRefusal = 'missing_headers' | 'stale_timestamp' | 'bad_signature' | 'bad_body';

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  constructor(
    readonly code: WebhookRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** The request's headers: a fetch `Headers`, or Node's `req.headers`. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, string | readonly string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Verifies a notification from the Manager (Standard Webhooks v1) and returns its body, parsed:
 * `webhook-timestamp` within `toleranceSeconds` (default 300) of now, and one of the
 * `webhook-signature`'s `v1,` signatures made with one of the secrets (several during a
 * rotation, on either side). Signatures are checked by Web Crypto's HMAC verify, in constant
 * time. `rawBody` must be the bytes as received, before any JSON parsing. Throws a
 * WebhookVerificationError saying why it refuses. Works in Node 20+ and browsers. The body is
 * typed as the Manager's WebhookNotification; it is parsed, not validated.
 */
export async function verifyWebhook<Body = WebhookNotification>(
  secret: string | readonly string[],
  headers: WebhookHeaders,
  rawBody: string | Uint8Array,
  options: { toleranceSeconds?: number; now?: Date } = {},
): Promise<Body> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError(
      'missing_headers',
      'webhook-id, webhook-timestamp and webhook-signature are all required',
    );
  }
  const seconds = Number(timestamp);
  const now = (options.now ?? new Date()).getTime() / 1000;
  const tolerance = options.toleranceSeconds ?? 300;
  if (!/^\d+$/.test(timestamp) || Math.abs(now - seconds) > tolerance) {
    throw new WebhookVerificationError(
      'stale_timestamp',
      `webhook-timestamp ${timestamp.slice(0, 20)} is not within ${tolerance} s of now`,
    );
  }
  let body: string;
  try {
    body = typeof rawBody === 'string' ? rawBody : decoder.decode(rawBody);
  } catch {
    throw new WebhookVerificationError('bad_body', 'The body is not UTF-8');
  }
  const signed = encoder.encode(`${id}.${timestamp}.${body}`);
  const given = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .flatMap((entry) => {
      try {
        return [fromBase64(entry.slice(3))];
      } catch {
        return [];
      }
    });
  for (const each of typeof secret === 'string' ? [secret] : secret) {
    const key = await crypto.subtle.importKey(
      'raw',
      fromBase64(each.replace(/^whsec_/, '')),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    for (const signature of given) {
      if (await crypto.subtle.verify('HMAC', key, signature, signed)) {
        try {
          return JSON.parse(body) as Body;
        } catch {
          throw new WebhookVerificationError('bad_body', 'The body is signed but is not JSON');
        }
      }
    }
  }
  throw new WebhookVerificationError('bad_signature', 'No webhook-signature matches the secret');
}
