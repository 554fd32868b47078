/** What a redacted value is replaced with, in text and by pino. */
export const REDACTED = '[REDACTED]';

/** Parameter and field names whose values are credentials. */
const SECRET_NAMES = 'token|x-nonce|x_nonce|access_token|id_token|refresh_token|api_key|apikey|admin_token';

const PATTERNS: readonly [RegExp, string][] = [
  // JSON fields: "token": "..." (logged bodies, stored notification records).
  [
    new RegExp(`("(?:${SECRET_NAMES}|authorization|password|secret)"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi'),
    `$1"${REDACTED}"`,
  ],
  // Query parameters and key=value pairs, also percent-encoded inside another URL (token%3D...%26).
  [
    new RegExp(`(^|[?&;,\\s"'/]|%26|%3F)((?:${SECRET_NAMES})(?:=|%3D))(?:(?!%26)[^&\\s"'#;,<>])+`, 'gi'),
    `$1$2${REDACTED}`,
  ],
  // Authorization header values.
  [/\b(Bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${REDACTED}`],
  // Passwords in URLs: postgres://user:password@host.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)[^@/?#\s]+@/gi, `$1${REDACTED}@`],
  // API keys and nonces wherever they appear.
  [/pj[mn]_[A-Za-z0-9_-]+/g, REDACTED],
];

/**
 * Replaces credentials in free text (URLs, log lines, notification bodies) with `[REDACTED]`:
 * values of `token=`, `x-nonce=`, `access_token=` (and similar) parameters and JSON fields,
 * `Bearer <x>`, URL passwords, and any `pjm_...` / `pjn_...` value. Idempotent.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Paths for pino's `redact` option (with `censor: REDACTED`). They cover headers, query and body
 * fields; URLs (`req.url`) are strings, so the HTTP app's request serializer must pass them
 * through `redactSecrets` as well.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-nonce"]',
  'req.headers["x-api-key"]',
  'req.query.token',
  'req.query["x-nonce"]',
  'req.query.access_token',
  'req.body.token',
  'headers.authorization',
  'headers["x-nonce"]',
  'authorization',
  'token',
  'access_token',
  '*.authorization',
  '*.token',
  '*["x-nonce"]',
  '*.access_token',
  '*.*.token',
  '*.*["x-nonce"]',
];

const SECRET_PARAMETER = new RegExp(`^\\s*(?:${SECRET_NAMES})\\s*(?:\\[.*)?$`, 'i');

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/**
 * A request URL fit for a log line: the value of every query parameter whose name, once
 * percent-decoded (`t%6Fken=` is `token=` to the server), is a credential is replaced with
 * `[REDACTED]`, and the rest goes through `redactSecrets` (a callback URL inside a parameter, an
 * API key in the path).
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return redactSecrets(url);
  const pairs = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      return SECRET_PARAMETER.test(decodeComponent(name)) ? `${name}=${REDACTED}` : pair;
    });
  return redactSecrets(`${url.slice(0, queryAt)}?${pairs.join('&')}`);
}
