import { isRole, ROLES, type Role } from '@pipelinejobs/core';
import type { NonceConsumption, NonceRecord } from '@pipelinejobs/schemas';
import { desc } from 'drizzle-orm';
import { type Actor, actorOf } from './documents.js';
import { StorageError, translated } from './errors.js';
import type { Database } from './open-database.js';
import { nonces } from './schema.js';
import { storedRole } from './stored-role.js';

export type { NonceConsumption, NonceRecord };

export async function insertNonce(
  db: Database,
  nonce: {
    hash: string;
    prefix: string;
    role: Role;
    label?: string;
    maxUses: number | null;
    expiresAt: Date | null;
    jobUuid: string | null;
  },
  actor: Actor,
): Promise<NonceRecord> {
  const [row] = await translated(() =>
    db.orm
      .insert(nonces)
      .values({ ...nonce, createdByKind: actor.kind, createdById: actor.id })
      .returning(),
  );
  if (!row) throw new StorageError('internal', 'The nonce was not stored');
  return recordOf(row);
}

function recordOf(row: typeof nonces.$inferSelect): NonceRecord {
  const { hash: _hash, createdByKind, createdById, revokedByKind, revokedById, ...record } = row;
  return {
    ...record,
    role: storedRole(record.role),
    createdBy: actorOf(createdByKind, createdById),
    revokedBy: actorOf(revokedByKind, revokedById),
  };
}

/**
 * Consumes one use atomically: a single conditional UPDATE, so concurrent uses can never spend
 * more than max_uses. When nothing was updated, a second read tells why.
 */
export async function consumeNonce(
  db: Database,
  hash: string,
  jobUuid: string | undefined,
  now: Date,
): Promise<NonceConsumption> {
  const { sql } = db;
  // ISO text: drizzle turns off the driver's Date serialisation on the shared client.
  const at = now.toISOString();
  return translated(async () => {
    const [used] = await sql<
      { id: string; role: string; job_uuid: string | null; remaining: number | null }[]
    >`
      update nonces set uses = uses + 1
      where hash = ${hash} and revoked_at is null
        and (expires_at is null or expires_at > ${at}::timestamptz)
        and (max_uses is null or uses < max_uses)
        and (job_uuid is null or job_uuid = ${jobUuid ?? null})
        -- A role this version does not know is refused (by examine) without spending a use.
        and role = any(${sql.array([...ROLES])})
      returning id, role, job_uuid, (max_uses - uses)::int as remaining`;
    if (used && isRole(used.role)) {
      return {
        ok: true,
        id: used.id,
        role: used.role,
        jobUuid: used.job_uuid,
        remainingUses: used.remaining,
      };
    }
    return examine(db, hash, jobUuid, now);
  });
}

/**
 * What consumeNonce would answer now, spending nothing: one read that says whether the nonce
 * may be used for this job and, if not, why.
 */
export async function checkNonce(
  db: Database,
  hash: string,
  jobUuid: string | undefined,
  now: Date,
): Promise<NonceConsumption> {
  return translated(() => examine(db, hash, jobUuid, now));
}

async function examine(
  db: Database,
  hash: string,
  jobUuid: string | undefined,
  now: Date,
): Promise<NonceConsumption> {
  const at = now.toISOString();
  const [row] = await db.sql<
    {
      id: string;
      role: string;
      job_uuid: string | null;
      remaining: number | null;
      revoked: boolean;
      expired: boolean;
      exhausted: boolean;
    }[]
  >`
    select id, role, job_uuid, (max_uses - uses)::int as remaining,
      revoked_at is not null as revoked, expires_at is not null and expires_at <= ${at}::timestamptz as expired,
      max_uses is not null and uses >= max_uses as exhausted
    from nonces where hash = ${hash}`;
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.revoked) return { ok: false, reason: 'revoked' };
  if (row.expired) return { ok: false, reason: 'expired' };
  if (row.exhausted) return { ok: false, reason: 'exhausted' };
  if (row.job_uuid !== null && row.job_uuid !== (jobUuid ?? null))
    return { ok: false, reason: 'out_of_scope' };
  if (!isRole(row.role)) return { ok: false, reason: 'unknown_role' };
  return {
    ok: true,
    id: row.id,
    role: row.role,
    jobUuid: row.job_uuid,
    remainingUses: row.remaining,
  };
}

export async function selectNonces(db: Database): Promise<NonceRecord[]> {
  const rows = await translated(() => db.orm.select().from(nonces).orderBy(desc(nonces.createdAt)));
  return rows.map(recordOf);
}

export async function markNonceRevoked(db: Database, idOrPrefix: string, actor: Actor): Promise<NonceRecord> {
  const [row] = await translated(
    () => db.sql<{ id: string }[]>`
      update nonces set revoked_at = date_trunc('milliseconds', now()),
        revoked_by_kind = ${actor.kind}, revoked_by_id = ${actor.id}
      where (id::text = ${idOrPrefix} or prefix = ${idOrPrefix}) and revoked_at is null
      returning id`,
  );
  if (!row) throw new StorageError('not_found', `No active nonce ${idOrPrefix}`, { nonce: idOrPrefix });
  const [record] = (await selectNonces(db)).filter((n) => n.id === row.id);
  if (!record) throw new StorageError('not_found', `No nonce ${idOrPrefix}`);
  return record;
}
