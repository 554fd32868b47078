import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type ExportedJWKSCache,
  errors,
  type JWKSCacheInput,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwksCache,
  jwtVerify,
} from 'jose';
import { AuthError } from './auth-error.js';
import { higherRole, isRole, ROLES, type Role } from './roles.js';

/** Asymmetric signature algorithms only: no `none`, no HMAC (a JWKS is public). */
const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

const DEFAULT_ROLE_CLAIM = 'pipelinejobs_role';
/** Scope values `pipelinejobs:<role>` grant that role. */
const ROLE_SCOPE_PREFIX = 'pipelinejobs:';
/** Role of a valid token that names none: it passed issuer and audience checks, so it may read. */
const DEFAULT_JWT_ROLE: Role = 'reader';
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

export interface JwtVerifierOptions {
  /** The issuer's JWKS document (https, or http for local testing). */
  jwksUrl: string;
  /** The exact `iss` value accepted. */
  issuer: string;
  /** The `aud` value(s) accepted; the token's `aud` must contain one. */
  audience: string | string[];
  /** Claim holding a role name; default `pipelinejobs_role`. */
  roleClaim?: string;
  /** Allowed clock skew for `exp` and `nbf`; default 30 s. */
  clockToleranceSeconds?: number;
  /** How long to wait for the JWKS document; default 5000 ms. */
  jwksTimeoutMs?: number;
  /** How long fetched keys are used before they are fetched again; default 600000 ms (10 min). */
  jwksCacheMaxAgeMs?: number;
  /**
   * While the JWKS cannot be fetched, keep verifying with the last keys fetched until they are this
   * old; default 86400000 ms (24 h). 0: no grace, an outage refuses every token (503).
   */
  jwksMaxStaleMs?: number;
}

export const DEFAULT_JWKS_MAX_STALE_MS = 86_400_000;
/** After a failed fetch, the last keys are used without asking the issuer again for this long. */
const JWKS_RETRY_MS = 30_000;

export type JwtVerification =
  | {
      ok: true;
      subject: string;
      role: Role;
      /** The token's `exp`: what it authenticates ends then (an event stream opened with it). */
      expiresAt?: Date;
    }
  | { ok: false; code: 'expired' | 'unauthenticated'; message: string };

/**
 * Verifies a bearer JWT. Resolves a refusal for anything wrong with the token; rejects with
 * AuthError('jwks_unavailable') only when the issuer's JWKS cannot be fetched or parsed.
 */
export type JwtVerifier = (token: string, now?: Date) => Promise<JwtVerification>;

export type RoleFromClaims = { ok: true; role: Role } | { ok: false; message: string };

function scopeValues(claims: JWTPayload): string[] {
  const values: string[] = [];
  // `scope` is a space-separated string (RFC 8693, RFC 9068); some issuers use `scp`, as a
  // string or an array of strings.
  for (const raw of [claims.scope, claims.scp]) {
    if (typeof raw === 'string') values.push(...raw.split(/\s+/));
    else if (Array.isArray(raw)) values.push(...raw.filter((v): v is string => typeof v === 'string'));
  }
  return values;
}

/**
 * The role a verified token's claims grant (documented in the package README):
 * 1. the `roleClaim` claim (default `pipelinejobs_role`), if present: it must be one role name,
 *    else the token is refused (a misconfigured issuer should be noticed, not guessed around);
 * 2. else the highest `pipelinejobs:<role>` entry in `scope` / `scp`;
 * 3. else `reader`.
 */
export function roleFromClaims(claims: JWTPayload, roleClaim: string = DEFAULT_ROLE_CLAIM): RoleFromClaims {
  if (Object.hasOwn(claims, roleClaim)) {
    const value = claims[roleClaim];
    if (isRole(value)) return { ok: true, role: value };
    return {
      ok: false,
      message: `the bearer token's \`${roleClaim}\` claim is not a role; it must be one of ${ROLES.join(', ')}`,
    };
  }
  let role: Role | undefined;
  for (const value of scopeValues(claims)) {
    if (!value.startsWith(ROLE_SCOPE_PREFIX)) continue;
    const named = value.slice(ROLE_SCOPE_PREFIX.length);
    if (isRole(named)) role = role === undefined ? named : higherRole(role, named);
  }
  return { ok: true, role: role ?? DEFAULT_JWT_ROLE };
}

function checkedOptions(options: JwtVerifierOptions): URL {
  let url: URL;
  try {
    url = new URL(options.jwksUrl);
  } catch (cause) {
    throw new AuthError('invalid_config', 'the JWKS URL is not a URL; check PIPELINEJOBS_JWKS_URL', {
      cause,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AuthError('invalid_config', 'the JWKS URL must be http(s); check PIPELINEJOBS_JWKS_URL');
  }
  if (typeof options.issuer !== 'string' || options.issuer.length === 0) {
    throw new AuthError(
      'invalid_config',
      'a JWT issuer is required with a JWKS URL; set PIPELINEJOBS_JWT_ISSUER',
    );
  }
  const audiences = Array.isArray(options.audience) ? options.audience : [options.audience];
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a.length === 0)) {
    throw new AuthError(
      'invalid_config',
      'a JWT audience is required with a JWKS URL; set PIPELINEJOBS_JWT_AUDIENCE',
    );
  }
  return url;
}

/** Failures of the key lookup that are the token's fault (its `kid`/`alg` match no key). */
function isTokenKeyError(error: unknown): boolean {
  return error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys;
}

function refusal(code: 'expired' | 'unauthenticated', message: string): JwtVerification {
  return { ok: false, code, message };
}

/** Our own messages: jose's are fine too, but these say how to fix it and never quote the token. */
function refusalFor(error: unknown, options: JwtVerifierOptions): JwtVerification {
  const audiences = Array.isArray(options.audience) ? options.audience : [options.audience];
  if (error instanceof errors.JWTExpired) {
    return refusal('expired', `the bearer token has expired; get a new one from ${options.issuer}`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') {
      return refusal(
        'unauthenticated',
        `the bearer token has no \`${error.claim}\` claim; tokens must carry iss, aud, sub and exp`,
      );
    }
    switch (error.claim) {
      case 'iss':
        return refusal(
          'unauthenticated',
          `the bearer token comes from another issuer; this server accepts tokens issued by ${options.issuer}`,
        );
      case 'aud':
        return refusal(
          'unauthenticated',
          `the bearer token is meant for another audience; request one for ${audiences.join(' or ')}`,
        );
      case 'nbf':
        return refusal('unauthenticated', 'the bearer token is not valid yet (nbf); check the clocks');
      default:
        return refusal('unauthenticated', `the bearer token's \`${error.claim}\` claim is invalid`);
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return refusal(
      'unauthenticated',
      `the bearer token's signing algorithm is not accepted; use one of ${JWT_ALGORITHMS.join(', ')}`,
    );
  }
  if (isTokenKeyError(error) || error instanceof errors.JWSSignatureVerificationFailed) {
    return refusal(
      'unauthenticated',
      `the bearer token's signature does not verify with any key published at ${options.jwksUrl}`,
    );
  }
  return refusal(
    'unauthenticated',
    'the bearer token is not a well-formed signed JWT; send `Authorization: Bearer <API key or JWT>`',
  );
}

function unavailable(options: JwtVerifierOptions, cause: unknown, why = ''): AuthError {
  return new AuthError(
    'jwks_unavailable',
    `could not load the JWT signing keys from ${options.jwksUrl}${why}`,
    { cause },
  );
}

/**
 * jose's remote key set, which refetches once its keys are older than the cache period and fails
 * when that fetch fails, plus a grace: while the issuer cannot be reached, the last keys fetched
 * keep verifying until they are `jwksMaxStaleMs` old. jose records each successful fetch (time and
 * keys) in the `jwksCache` object it is given; only this closure can write it. After a failure the
 * issuer is asked again at most every 30 s, so an outage does not add a fetch timeout to every
 * request. A key set the issuer did publish always wins: keys it removed stop verifying at once.
 */
function keysWithGrace(url: URL, options: JwtVerifierOptions): JWTVerifyGetKey {
  const cache: Partial<ExportedJWKSCache> = {};
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: options.jwksTimeoutMs ?? 5000,
    ...(options.jwksCacheMaxAgeMs === undefined ? {} : { cacheMaxAge: options.jwksCacheMaxAgeMs }),
    [jwksCache]: cache as JWKSCacheInput,
  });
  const maxStaleMs = options.jwksMaxStaleMs ?? DEFAULT_JWKS_MAX_STALE_MS;
  let failedAt = Number.NEGATIVE_INFINITY;
  let last: { fetchedAt: number; keys: JWTVerifyGetKey } | undefined;
  /** The last keys fetched, while they are young enough to stand in for the issuer. */
  const lastKeys = (): JWTVerifyGetKey | undefined => {
    const { uat, jwks } = cache;
    if (uat === undefined || jwks === undefined || Date.now() - uat > maxStaleMs) return undefined;
    if (last?.fetchedAt !== uat) last = { fetchedAt: uat, keys: createLocalJWKSet(jwks) };
    return last.keys;
  };
  const withLastKeys: (
    keys: JWTVerifyGetKey,
    ...args: Parameters<JWTVerifyGetKey>
  ) => ReturnType<JWTVerifyGetKey> = async (keys, header, token) => {
    try {
      return await keys(header, token);
    } catch (error) {
      // A key the last set does not hold may be one the issuer added since: not the token's fault.
      if (error instanceof errors.JWKSNoMatchingKey) {
        throw unavailable(options, error, ", and the last keys fetched do not hold the token's key");
      }
      throw error;
    }
  };
  return async (header, token) => {
    const grace = Date.now() - failedAt < JWKS_RETRY_MS ? lastKeys() : undefined;
    if (grace) return withLastKeys(grace, header, token);
    try {
      return await remote(header, token);
    } catch (error) {
      if (isTokenKeyError(error)) throw error;
      failedAt = Date.now();
      const keys = lastKeys();
      if (keys) return withLastKeys(keys, header, token);
      throw unavailable(options, error);
    }
  };
}

/**
 * A verifier for OAuth2 bearer JWTs signed by one issuer whose keys are published at `jwksUrl`
 * (fetched on first use, cached, refetched when a token names an unknown key). Checks signature
 * (asymmetric algorithms only, so `alg: none` and HMAC are refused), `iss`, `aud`, `exp` (required),
 * `nbf`, and requires `sub`. Throws AuthError('invalid_config') for bad options.
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const url = checkedOptions(options);
  const getKey = keysWithGrace(url, options);
  const roleClaim = options.roleClaim ?? DEFAULT_ROLE_CLAIM;
  return async (token, now) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [...JWT_ALGORITHMS],
        requiredClaims: ['sub', 'exp'],
        clockTolerance: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
        ...(now === undefined ? {} : { currentDate: now }),
      }));
    } catch (error) {
      if (error instanceof AuthError) throw error;
      return refusalFor(error, options);
    }
    const subject = payload.sub;
    if (typeof subject !== 'string' || subject.length === 0) {
      return refusal('unauthenticated', 'the bearer token has an empty `sub` claim');
    }
    const role = roleFromClaims(payload, roleClaim);
    if (!role.ok) return refusal('unauthenticated', role.message);
    const expiresAt = typeof payload.exp === 'number' ? { expiresAt: new Date(payload.exp * 1000) } : {};
    return { ok: true, subject, role: role.role, ...expiresAt };
  };
}
