/**
 * Machine-readable reasons an auth function throws. Refusals of a caller's credentials are not
 * errors: they come back as `{ ok: false, ... }` results. AuthError is for the server side only:
 * a configuration the apps should have rejected at start, or an identity provider that is down.
 */
export type AuthErrorCode =
  /** A secret, admin key, lifetime or JWKS setting is missing or malformed. */
  | 'invalid_config'
  /** A programmer passed an argument the function cannot use (empty uuid, negative version). */
  | 'invalid_argument'
  /** The JWKS URL could not be fetched or parsed: a 503, not the caller's fault. */
  | 'jwks_unavailable';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}
