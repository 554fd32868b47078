import { API_KEY_PREFIX, hashApiKey, looksLikeApiKey } from './api-key.js';
import type { JwtVerifier } from './jwt.js';
import { hashNonce, looksLikeNonce } from './nonce.js';
import type { ApiKeyPort, NonceConsumption, NoncePort } from './ports.js';
import { ROLES, type Role } from './roles.js';

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
  /** A JWT's expiry: what outlives the request (an event stream) ends then. */
  expiresAt?: Date;
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
  /**
   * False to check a nonce without spending a use (a dry run answers what sending would, and
   * writes nothing). Default true.
   */
  consume?: boolean;
}

export interface AuthenticationDeps {
  apiKeys: ApiKeyPort;
  nonces: NoncePort;
  /** Absent when no JWKS URL is configured: then bearer JWTs are refused. */
  jwt?: JwtVerifier | undefined;
  now: Date;
  /**
   * Told who the caller is once the credential is known to be valid and before anything is spent
   * (a nonce's use): where a rate limit refuses, by throwing, at no further cost.
   */
  admit?: (principal: Principal) => void;
}

const HOW_TO_AUTHENTICATE = 'send `Authorization: Bearer <API key or JWT>` or the `x-nonce` URL parameter';

function refuse(refusal: AuthRefusal, message: string): Authentication {
  return { ok: false, refusal, message };
}

/** Why a credential whose stored role this version does not know is refused. */
const unknownRole = (role: string) =>
  `has the role '${role.slice(0, 40)}', which this version of the server does not know (made by a newer release?): use a credential of role ${ROLES.join(', ')}, or ask an admin`;

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
  // Revocation is at once (there is no revocation to come): any revocation time means revoked,
  // whatever this process's clock says of the database's.
  if (record.revokedAt !== null) {
    return refuse('unauthenticated', 'API key revoked; ask an admin for a new key');
  }
  if (typeof record.role !== 'string') {
    return refuse('unauthenticated', `the API key ${unknownRole(record.role.unknown)}`);
  }
  return admitted({ kind: 'api_key', role: record.role, scope: { jobUuid: null }, id: record.id }, deps);
}

/** The principal, once `admit` has let it through. */
function admitted(principal: Principal, deps: AuthenticationDeps): Authentication {
  deps.admit?.(principal);
  return { ok: true, principal };
}

/** The longest principal id recorded (a JWT `sub` longer than this is refused, not cut). */
const MAX_PRINCIPAL_ID_LENGTH = 256;

async function byJwt(token: string, deps: AuthenticationDeps): Promise<Authentication> {
  if (deps.jwt === undefined) {
    return refuse(
      'unauthenticated',
      'bearer JWTs are not accepted by this server (no JWKS URL is configured); send `Authorization: Bearer pjm_...` with an API key, or the `x-nonce` URL parameter',
    );
  }
  const result = await deps.jwt(token, deps.now);
  if (!result.ok) return refuse(result.code, result.message);
  if (result.subject.length > MAX_PRINCIPAL_ID_LENGTH) {
    return refuse(
      'unauthenticated',
      `the bearer token's \`sub\` is longer than ${MAX_PRINCIPAL_ID_LENGTH} characters; ask the issuer for shorter subjects`,
    );
  }
  return admitted(
    {
      kind: 'jwt',
      role: result.role,
      scope: { jobUuid: null },
      id: result.subject,
      ...(result.expiresAt === undefined ? {} : { expiresAt: result.expiresAt }),
    },
    deps,
  );
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
  unknown_role: [
    'unauthenticated',
    'the nonce has a role this version of the server does not know (made by a newer release?); ask an admin for a new nonce',
  ],
};

/**
 * A nonce is checked first (a read), the caller admitted, and only then a use consumed (one
 * conditional update, which re-checks everything, so concurrent uses never overspend).
 */
async function byNonce(
  nonce: string,
  request: AuthenticationRequest,
  deps: AuthenticationDeps,
): Promise<Authentication> {
  if (!looksLikeNonce(nonce)) {
    return refuse(
      'unauthenticated',
      'the nonce is malformed: nonces are `pjn_` followed by 32 characters, as printed by `pipelinejobs nonces create`',
    );
  }
  const hash = hashNonce(nonce);
  const refused = (result: NonceConsumption & { ok: false }) => {
    const [refusal, message] = NONCE_REFUSALS[result.reason];
    return refuse(refusal, message);
  };
  const checked = await deps.nonces.checkNonce(hash, request.jobUuid, deps.now);
  if (!checked.ok) return refused(checked);
  const principal: Principal = {
    kind: 'nonce',
    role: checked.role,
    scope: { jobUuid: checked.jobUuid },
    id: checked.id,
  };
  deps.admit?.(principal);
  if (request.consume === false) return { ok: true, principal };
  const consumed = await deps.nonces.consumeNonce(hash, request.jobUuid, deps.now);
  return consumed.ok ? { ok: true, principal } : refused(consumed);
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
  if (header === '') {
    // Sent but empty: a client that meant to send a credential and lost it (an unset variable in
    // `Bearer $KEY` gives `Bearer`, refused below), never a request without one.
    return refuse(
      'unauthenticated',
      'the Authorization header is empty: send `Bearer <API key or JWT>`, or leave the header out (and send the `x-nonce` URL parameter)',
    );
  }
  if (header !== undefined) {
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
    return byNonce(request.nonce, request, deps);
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
