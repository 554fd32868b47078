import type { ApiKeyRecord, NonceConsumption } from '@pipelinejobs/schemas';
import type { Role } from './roles.js';

export type { ApiKeyRecord, NonceConsumption };

/**
 * The persistence auth needs, kept small; packages/storage implements these against PostgreSQL
 * (apps wire them in). Auth never imports storage.
 */

export interface ApiKeyPort {
  /** The key whose `hashApiKey(key)` is `hash`, revoked or not; undefined if none. */
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
}

/** The role a nonce carries when its issuer does not choose one. */
export const DEFAULT_NONCE_ROLE: Role = 'reporter';

export interface NoncePort {
  /**
   * Atomically checks and consumes one use of the nonce whose hash is `hash` (one
   * `UPDATE ... WHERE uses < max_uses AND expires_at > now ... RETURNING`). A nonce scoped to a
   * job is `out_of_scope` for any other `jobUuid` (or none), and that refusal must not use it up.
   */
  consumeNonce(hash: string, jobUuid: string | undefined, now: Date): Promise<NonceConsumption>;
  /** What `consumeNonce` would answer now, without spending a use. */
  checkNonce(hash: string, jobUuid: string | undefined, now: Date): Promise<NonceConsumption>;
}
