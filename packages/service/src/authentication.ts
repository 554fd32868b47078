import { type Action, authenticate, type Principal, roleAllows, rolesAllowing } from '@pipelinejobs/auth';
import type { JobUuid } from '@pipelinejobs/core';
import * as storage from '@pipelinejobs/storage';
import { DATABASE } from './database-key.js';
import { asServiceError, ServiceError } from './errors.js';
import type { Services } from './services.js';

/** What a request presents: the Authorization header, the `x-nonce` parameter, the job it acts on. */
export interface Credentials {
  authorization?: string | undefined;
  nonce?: string | undefined;
  /** Checked against a nonce's scope. */
  jobUuid?: JobUuid | undefined;
  /** False: check a nonce without spending a use (dry runs). Default true. */
  consume?: boolean;
}

export interface AuthenticationHooks {
  /** Told who the caller is before anything is spent; throws to refuse (a rate limit). */
  admit?: (principal: Principal) => void;
}

/** Request credentials -> principal, or a ServiceError saying what to send instead. */
export async function authenticateRequest(
  s: Services,
  credentials: Credentials,
  hooks: AuthenticationHooks = {},
): Promise<Principal> {
  const result = await authenticate(credentials, {
    apiKeys: { findApiKeyByHash: (hash) => storage.findApiKeyByHash(s[DATABASE], hash) },
    nonces: {
      consumeNonce: (hash, job, now) => storage.consumeNonce(s[DATABASE], hash, job, now),
      checkNonce: (hash, job, now) => storage.checkNonce(s[DATABASE], hash, job, now),
    },
    jwt: s.jwt,
    now: s.clock(),
    admit: hooks.admit,
  }).catch((error: unknown) => {
    throw asServiceError(error);
  });
  if (!result.ok) throw new ServiceError(result.refusal, result.message);
  return result.principal;
}

/** Refuses a principal whose role does not allow `action`, saying which roles do. */
export function requireRole(principal: Principal, action: Action, doing: string): void {
  if (!roleAllows(principal.role, action)) {
    throw new ServiceError(
      'forbidden',
      `Role '${principal.role}' cannot ${doing}; use a credential with role ${rolesAllowing(action).join(', ')}`,
    );
  }
}
