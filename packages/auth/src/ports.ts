import type { Role } from './roles.js';

/**
 * The persistence auth needs, kept small; packages/storage implements these against PostgreSQL
 * (apps wire them in). Auth never imports storage.
 */

export interface ApiKeyRecord {
  id: string;
  /** First 12 characters of the key, for listing. */
  prefix: string;
  role: Role;
  label: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface ApiKeyPort {
  /** The key whose `hashApiKey(key)` is `hash`, revoked or not; undefined if none. */
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
}

/** The role a nonce carries when its issuer does not choose one. */
export const DEFAULT_NONCE_ROLE: Role = 'reporter';

export type NonceConsumption =
  | { ok: true; id: string; role: Role; jobUuid: string | null; remainingUses: number | null }
  | { ok: false; reason: 'unknown' | 'expired' | 'exhausted' | 'revoked' | 'out_of_scope' };

export interface NoncePort {
  /**
   * Atomically checks and consumes one use of the nonce whose hash is `hash` (one
   * `UPDATE ... WHERE uses < max_uses AND expires_at > now ... RETURNING`). A nonce scoped to a
   * job is `out_of_scope` for any other `jobUuid` (or none), and that refusal must not use it up.
   */
  consumeNonce(hash: string, jobUuid: string | undefined, now: Date): Promise<NonceConsumption>;
}
