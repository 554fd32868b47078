import type { Role } from '@pipelinejobs/core';

/**
 * A role read from storage that this version does not know (written by a newer release, or by
 * hand): kept as read, so that it is shown and refused, never taken for a known role.
 */
export interface UnknownRole {
  unknown: string;
}

/**
 * API keys and nonces as stored (never the credential itself, only its hash, which is not
 * here either): what storage returns, what auth's ports take, what the CLI lists. One
 * definition for all three.
 */
export interface ApiKeyRecord {
  id: string;
  /** First 12 characters of the key, for listing. */
  prefix: string;
  role: Role | UnknownRole;
  label: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** Who created and who revoked it; null for records from before this was kept. */
  createdBy: { kind: string; id: string } | null;
  revokedBy: { kind: string; id: string } | null;
}

export interface NonceRecord {
  id: string;
  /** First 12 characters of the nonce, for listing. */
  prefix: string;
  role: Role | UnknownRole;
  label: string;
  /** null: unlimited uses. */
  maxUses: number | null;
  uses: number;
  expiresAt: Date | null;
  /** null: any job. */
  jobUuid: string | null;
  createdAt: Date;
  revokedAt: Date | null;
  /** Who created and who revoked it; null for records from before this was kept. */
  createdBy: { kind: string; id: string } | null;
  revokedBy: { kind: string; id: string } | null;
}

/** One use of a nonce, consumed atomically: who it makes the caller, or why it is refused. */
export type NonceConsumption =
  | { ok: true; id: string; role: Role; jobUuid: string | null; remainingUses: number | null }
  | {
      ok: false;
      reason: 'unknown' | 'expired' | 'exhausted' | 'revoked' | 'out_of_scope' | 'unknown_role';
    };
