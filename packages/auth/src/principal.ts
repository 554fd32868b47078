import { API_KEY_PREFIX, hashApiKey, looksLikeApiKey } from './api-key.js';
import type { JwtVerifier } from './jwt.js';
import { hashNonce, looksLikeNonce } from './nonce.js';
import type { ApiKeyPort, NonceConsumption, NoncePort } from './ports.js';
import type { Role } from './roles.js';

/** Who is calling, as established by request authentication (or the CLI's local operator). */
export interface Principal {
  /**
   * `cli`: the operator of the CLI, who holds the database credentials themselves; `system`: the
   * Manager acting on its own (a deadline, for instance).
   */
  kind: 'api_key' | 'jwt' | 'nonce' | 'cli' | 'system';
  role: Role;
  /** A nonce may be limited to one job; API keys and JWTs are not (jobUuid null). */
  scope: { jobUuid: string | null };
  /** API key id, JWT subject, nonce id, the CLI operator's user name: safe to log, never the credential. */
  id: string;
}

export type AuthRefusal = 'unauthenticated' | 'forbidden' | 'expired' | 'exhausted';

export type Authentication =
  | { ok: true; principal: Principal }
  | { ok: false; refusal: AuthRefusal; message: string };

export interface AuthenticationRequest {
  /** The `Authorization` header, as received. */
  authorization?: string | undefined;
  /** The `x-nonce` URL parameter, as received. */
  nonce?: string | undefined;
  /** The job the request acts on, if any: checked against a nonce's scope. */
  jobUuid?: string | undefined;
}

export interface AuthenticationDeps {
  apiKeys: ApiKeyPort;
  nonces: NoncePort;
  /** Absent when no JWKS URL is configured: then bearer JWTs are refused. */
  jwt?: JwtVerifier | undefined;
  now: Date;
}

const HOW_TO_AUTHENTICATE = 'send `Authorization: Bearer <API key or JWT>` or the `x-nonce` URL parameter';

function refuse(refusal: AuthRefusal, message: string): Authentication {
  return { ok: false, refusal, message };
}

async function byApiKey(key: string, deps: AuthenticationDeps): Promise<Authentication> {
  if (!looksLikeApiKey(key)) {
    return refuse(
      'unauthenticated',
      'the API key is malformed: API keys are `pjm_` followed by 32 characters, as printed by `pipelinejobs keys create`',
    );
  }
  const record = await deps.apiKeys.findApiKeyByHash(hashApiKey(key));
  if (record === undefined) {
    return refuse(
      'unauthenticated',
      'unknown API key; check it, or create one with `pipelinejobs keys create`',
    );
  }
  if (record.revokedAt !== null && record.revokedAt.getTime() <= deps.now.getTime()) {
    return refuse('unauthenticated', 'API key revoked; ask an admin for a new key');
  }
  return {
    ok: true,
    principal: { kind: 'api_key', role: record.role, scope: { jobUuid: null }, id: record.id },
  };
}

async function byJwt(token: string, deps: AuthenticationDeps): Promise<Authentication> {
  if (deps.jwt === undefined) {
    return refuse(
      'unauthenticated',
      'bearer JWTs are not accepted by this server (no JWKS URL is configured); send `Authorization: Bearer pjm_...` with an API key, or the `x-nonce` URL parameter',
    );
  }
  const result = await deps.jwt(token, deps.now);
  if (!result.ok) return refuse(result.code, result.message);
  return {
    ok: true,
    principal: { kind: 'jwt', role: result.role, scope: { jobUuid: null }, id: result.subject },
  };
}

const NONCE_REFUSALS: Record<Extract<NonceConsumption, { ok: false }>['reason'], [AuthRefusal, string]> = {
  unknown: [
    'unauthenticated',
    'unknown nonce; check the `x-nonce` URL parameter or ask an admin for a new nonce',
  ],
  expired: ['expired', 'the nonce has expired; ask an admin for a new nonce'],
  exhausted: ['exhausted', 'the nonce has no uses left; ask an admin for a new nonce'],
  revoked: ['unauthenticated', 'the nonce was revoked; ask an admin for a new nonce'],
  out_of_scope: ['forbidden', 'the nonce is limited to another job; use a nonce issued for this job'],
};

async function byNonce(
  nonce: string,
  jobUuid: string | undefined,
  deps: AuthenticationDeps,
): Promise<Authentication> {
  if (!looksLikeNonce(nonce)) {
    return refuse(
      'unauthenticated',
      'the nonce is malformed: nonces are `pjn_` followed by 32 characters, as printed by `pipelinejobs nonces create`',
    );
  }
  const consumed = await deps.nonces.consumeNonce(hashNonce(nonce), jobUuid, deps.now);
  if (!consumed.ok) {
    const [refusal, message] = NONCE_REFUSALS[consumed.reason];
    return refuse(refusal, message);
  }
  return {
    ok: true,
    principal: { kind: 'nonce', role: consumed.role, scope: { jobUuid: consumed.jobUuid }, id: consumed.id },
  };
}

/**
 * Establishes who is calling. `Authorization: Bearer pjm_...` is an API key, any other bearer
 * value a JWT (when a verifier is configured), and `x-nonce` a nonce, consumed once per request.
 * When both a bearer and a nonce are sent the bearer decides and the nonce is not consumed.
 * Refusal messages say what was wrong and how to fix it, and never contain the credential.
 */
export async function authenticate(
  request: AuthenticationRequest,
  deps: AuthenticationDeps,
): Promise<Authentication> {
  const header = request.authorization?.trim();
  if (header !== undefined && header.length > 0) {
    const match = /^Bearer[ \t]+(\S+)$/i.exec(header);
    const credential = match?.[1];
    if (credential === undefined) {
      return refuse(
        'unauthenticated',
        'the Authorization header must be `Bearer <API key or JWT>` (one space-free credential after `Bearer`)',
      );
    }
    return credential.startsWith(API_KEY_PREFIX) ? byApiKey(credential, deps) : byJwt(credential, deps);
  }
  if (request.nonce !== undefined && request.nonce.length > 0) {
    return byNonce(request.nonce, request.jobUuid, deps);
  }
  return refuse('unauthenticated', `no credentials: ${HOW_TO_AUTHENTICATE}`);
}

/**
 * The CLI's operator, named by their user name on the machine: whoever can reach the database
 * directly is an admin. Events still need a job token or an admin token, exactly as over HTTP.
 */
export function cliOperator(user: string): Principal {
  return Object.freeze({
    kind: 'cli',
    role: 'admin',
    scope: Object.freeze({ jobUuid: null }),
    id: user.trim() === '' ? 'unknown' : user.trim().slice(0, 256),
  });
}
