import { isPlainObject } from '@pipelinejobs/core';

/** What a redacted value is replaced with (the same marker the auth package's log redaction writes). */
export const REDACTED = '[REDACTED]';

// `token=` and `x-nonce=` as URL parameters, also percent-encoded inside another URL (`%26token%3D...`).
// The name must start a parameter, so `access_token=` or `mytoken=` are left alone.
const URL_SECRET = /(^|[?&;,\s"'/]|%26|%3F)((?:token|x-nonce|x_nonce)(?:=|%3D))(?:(?!%26)[^&\s"'#;,<>])+/gi;

/**
 * Replaces the value of every `token=` and `x-nonce=` parameter in a text (a callback URL, a Tapis
 * delivery address, a note) with `[REDACTED]`. Idempotent; everything else is kept.
 */
export function redactUrlSecrets(text: string): string {
  return text.replace(URL_SECRET, `$1$2${REDACTED}`);
}

/**
 * A copy of a JSON value with every string (keys included) passed through redactUrlSecrets.
 * Callers bound the depth first (checkJsonDepth), so the recursion is bounded too.
 */
function redactUrlSecretsDeep(value: unknown): unknown {
  if (typeof value === 'string') return redactUrlSecrets(value);
  if (Array.isArray(value)) return value.map(redactUrlSecretsDeep);
  if (isPlainObject(value)) {
    // fromEntries defines properties, so a `__proto__` key stays a plain key.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [redactUrlSecrets(key), redactUrlSecretsDeep(item)]),
    );
  }
  return value;
}

/** redactUrlSecretsDeep for event data, which is always an object. */
export function redactedData(data: Record<string, unknown>): Record<string, unknown> {
  return redactUrlSecretsDeep(data) as Record<string, unknown>;
}
