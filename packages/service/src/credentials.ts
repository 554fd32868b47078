import {
  adminToken,
  adminTokenValidUntil,
  generateApiKey,
  generateNonce,
  type Principal,
} from '@pipelinejobs/auth';
import type { JobUuid, Role } from '@pipelinejobs/core';
import * as storage from '@pipelinejobs/storage';
import { actorOf } from './actor.js';
import { requireRole } from './authentication.js';
import type { Services } from './services.js';

/**
 * The Manager acting on its own behalf (the first admin key at first start, a deadline later):
 * an admin principal of kind `system`, named by the part of the Manager that acts.
 */
export function systemPrincipal(part: string): Principal {
  return Object.freeze({ kind: 'system', role: 'admin', scope: Object.freeze({ jobUuid: null }), id: part });
}

/** A new API key, returned once (only its hash is stored). */
export async function createApiKey(
  s: Services,
  principal: Principal,
  options: { role: Role; label: string },
) {
  requireRole(principal, 'admin', 'create API keys');
  const generated = generateApiKey();
  const record = await storage.insertApiKey(
    s.db,
    { hash: generated.hash, prefix: generated.prefix, role: options.role, label: options.label },
    actorOf(principal),
  );
  return { key: generated.key, record };
}

export async function listApiKeys(s: Services, principal: Principal) {
  requireRole(principal, 'admin', 'list API keys');
  return storage.selectApiKeys(s.db);
}

/** Revokes a key by its id or its visible prefix. */
export async function revokeApiKey(s: Services, principal: Principal, idOrPrefix: string) {
  requireRole(principal, 'admin', 'revoke API keys');
  return storage.markApiKeyRevoked(s.db, idOrPrefix, actorOf(principal));
}

/** On a database with no active API key, creates the first admin key (printed once by the caller). */
export async function ensureFirstAdminKey(s: Services): Promise<string | undefined> {
  if ((await storage.countActiveApiKeys(s.db)) > 0) return undefined;
  const generated = generateApiKey();
  const record = await storage.insertFirstApiKey(
    s.db,
    { hash: generated.hash, prefix: generated.prefix, role: 'admin', label: 'first admin key' },
    actorOf(systemPrincipal('first-start')),
  );
  // Another process starting at the same moment made it: that one prints it.
  return record ? generated.key : undefined;
}

/** A new nonce, returned once: a use limit, an expiry, a role (default reporter), maybe one job. */
export async function createNonce(
  s: Services,
  principal: Principal,
  options: {
    role?: Role;
    maxUses?: number | null;
    expiresInSeconds?: number | null;
    jobUuid?: JobUuid | null;
    label?: string;
  },
) {
  requireRole(principal, 'admin', 'create nonces');
  const generated = generateNonce();
  const now = s.clock();
  const record = await storage.insertNonce(
    s.db,
    {
      hash: generated.hash,
      prefix: generated.prefix,
      role: options.role ?? 'reporter',
      label: options.label ?? '',
      maxUses: options.maxUses ?? null,
      expiresAt: options.expiresInSeconds ? new Date(now.getTime() + options.expiresInSeconds * 1000) : null,
      jobUuid: options.jobUuid ?? null,
    },
    actorOf(principal),
  );
  return { nonce: generated.nonce, record };
}

export async function listNonces(s: Services, principal: Principal) {
  requireRole(principal, 'admin', 'list nonces');
  return storage.selectNonces(s.db);
}

/** Revokes a nonce by its id or its visible prefix. */
export async function revokeNonce(s: Services, principal: Principal, idOrPrefix: string) {
  requireRole(principal, 'admin', 'revoke nonces');
  return storage.markNonceRevoked(s.db, idOrPrefix, actorOf(principal));
}

/** The current admin token and until when it is accepted: for admins only. */
export function currentAdminToken(s: Services, principal: Principal): { token: string; validUntil: Date } {
  requireRole(principal, 'admin', 'mint admin tokens');
  const now = s.clock();
  return { token: adminToken({ ...s.admin, now }), validUntil: adminTokenValidUntil(s.admin, now) };
}
