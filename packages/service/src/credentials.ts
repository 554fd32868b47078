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
import { DATABASE } from './database-key.js';
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
    s[DATABASE],
    { hash: generated.hash, prefix: generated.prefix, role: options.role, label: options.label },
    actorOf(principal),
  );
  return { key: generated.key, record };
}

/**
 * What API keys and nonces share: admins list them, and revoke one by its id or its visible
 * prefix (recorded as done by the principal).
 */
function listedAndRevoked<R, O extends object>(
  noun: string,
  select: (db: storage.Database) => Promise<R[]>,
  markRevoked: (db: storage.Database, idOrPrefix: string, actor: storage.Actor, options?: O) => Promise<R>,
) {
  return {
    list: async (s: Services, principal: Principal): Promise<R[]> => {
      requireRole(principal, 'admin', `list ${noun}`);
      return select(s[DATABASE]);
    },
    revoke: async (s: Services, principal: Principal, idOrPrefix: string, options?: O): Promise<R> => {
      requireRole(principal, 'admin', `revoke ${noun}`);
      return markRevoked(s[DATABASE], idOrPrefix, actorOf(principal), options);
    },
  };
}

const apiKeys = listedAndRevoked('API keys', storage.selectApiKeys, storage.markApiKeyRevoked);
export const listApiKeys = apiKeys.list;
/**
 * Revokes a key by its id or its visible prefix; the last active admin key only with
 * `{force: true}` (a conflict otherwise, saying to create another first).
 */
export const revokeApiKey = apiKeys.revoke;

/** Whether any API key is active; with none, no HTTP request can authenticate. */
export async function hasActiveApiKey(s: Services): Promise<boolean> {
  return (await storage.countActiveApiKeys(s[DATABASE])) > 0;
}

/** On a database with no active API key, creates the first admin key (printed once by the caller). */
export async function ensureFirstAdminKey(s: Services): Promise<string | undefined> {
  if ((await storage.countActiveApiKeys(s[DATABASE])) > 0) return undefined;
  const generated = generateApiKey();
  const record = await storage.insertFirstApiKey(
    s[DATABASE],
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
    s[DATABASE],
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

const nonces = listedAndRevoked('nonces', storage.selectNonces, storage.markNonceRevoked);
export const listNonces = nonces.list;
/** Revokes a nonce by its id or its visible prefix. */
export const revokeNonce = nonces.revoke;

/** The current admin token and until when it is accepted: for admins only. */
export function currentAdminToken(s: Services, principal: Principal): { token: string; validUntil: Date } {
  requireRole(principal, 'admin', 'mint admin tokens');
  const now = s.clock();
  return { token: adminToken({ ...s.admin, now }), validUntil: adminTokenValidUntil(s.admin, now) };
}
