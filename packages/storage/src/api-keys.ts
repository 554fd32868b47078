import type { Role } from '@pipelinejobs/core';
import type { ApiKeyRecord } from '@pipelinejobs/schemas';
import { desc } from 'drizzle-orm';
import { type Actor, actorOf } from './documents.js';
import { StorageError, translated } from './errors.js';
import type { Database } from './open-database.js';
import { apiKeys } from './schema.js';
import { storedRole } from './stored-role.js';

export type { ApiKeyRecord };

const columns = {
  id: apiKeys.id,
  prefix: apiKeys.prefix,
  role: apiKeys.role,
  label: apiKeys.label,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
  createdByKind: apiKeys.createdByKind,
  createdById: apiKeys.createdById,
  revokedByKind: apiKeys.revokedByKind,
  revokedById: apiKeys.revokedById,
};

type Row = Omit<ApiKeyRecord, 'role' | 'createdBy' | 'revokedBy'> & {
  role: string;
  createdByKind: string | null;
  createdById: string | null;
  revokedByKind: string | null;
  revokedById: string | null;
};

/** Stores a new key by its hash (the key itself is never stored). */
export async function insertApiKey(
  db: Database,
  key: { hash: string; prefix: string; role: Role; label: string },
  actor: Actor,
): Promise<ApiKeyRecord> {
  const [row] = await translated(() =>
    db.orm
      .insert(apiKeys)
      .values({ ...key, createdByKind: actor.kind, createdById: actor.id })
      .returning(columns),
  );
  if (!row) throw new StorageError('internal', 'The API key was not stored');
  return recordOf(row);
}

/** A stored row with its role checked (a role written by hand that no code knows is refused). */
function recordOf(row: Row): ApiKeyRecord {
  const { createdByKind, createdById, revokedByKind, revokedById, ...rest } = row;
  return {
    ...rest,
    role: storedRole(row.role),
    createdBy: actorOf(createdByKind, createdById),
    revokedBy: actorOf(revokedByKind, revokedById),
  };
}

/** How stale last_used_at may get before a use writes it again (one write per key per minute). */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * When this process last tried to write each key's last_used_at, per database. Remembered in
 * memory so a key is written at most once a minute per process even while the write fails (a
 * database refusing writes must not turn every authenticated read into a failed write).
 */
const touchedAt = new WeakMap<Database, Map<string, number>>();

/** Records a key's use at most once a minute; never fails or delays the request beyond the write. */
async function touch(db: Database, key: ApiKeyRecord): Promise<void> {
  const now = Date.now();
  let touched = touchedAt.get(db);
  if (!touched) {
    touched = new Map();
    touchedAt.set(db, touched);
  }
  const last = Math.max(touched.get(key.id) ?? 0, key.lastUsedAt?.getTime() ?? 0);
  if (now - last <= TOUCH_INTERVAL_MS) return;
  touched.set(key.id, now);
  try {
    await db.sql`update api_keys set last_used_at = date_trunc('milliseconds', now()) where id = ${key.id}`;
  } catch {
    // Bookkeeping only: the request goes on. If writes are refused, the request's own writes (or
    // /readyz) report why; the next try is a minute later.
  }
}

interface ApiKeyRow {
  id: string;
  prefix: string;
  role: string;
  label: string;
  /** Strings: drizzle turns off the driver's date parsing on the shared client. */
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  created_by_kind: string | null;
  created_by_id: string | null;
  revoked_by_kind: string | null;
  revoked_by_id: string | null;
}

const dateOrNull = (text: string | null): Date | null => (text === null ? null : new Date(text));

/** A row read with plain SQL, as a record. */
function recordFromRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    prefix: row.prefix,
    role: storedRole(row.role),
    label: row.label,
    createdAt: new Date(row.created_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    revokedAt: dateOrNull(row.revoked_at),
    createdBy: actorOf(row.created_by_kind, row.created_by_id),
    revokedBy: actorOf(row.revoked_by_kind, row.revoked_by_id),
  };
}

/**
 * The key with this hash (revoked ones included: the caller decides), recording its use (at most
 * once a minute, see `touch`). On every authenticated request, so plain SQL (a prepared statement)
 * rather than the query builder.
 */
export async function findApiKeyByHash(db: Database, hash: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await translated(
    () => db.sql<ApiKeyRow[]>`
      select id, prefix, role, label, created_at, last_used_at, revoked_at,
        created_by_kind, created_by_id, revoked_by_kind, revoked_by_id
      from api_keys where hash = ${hash}`,
  );
  if (!row) return undefined;
  const key = recordFromRow(row);
  // At most once a minute per key (see touch), so the wait is rare; awaited so it is ordered.
  if (!key.revokedAt) await touch(db, key);
  return key;
}

export async function selectApiKeys(db: Database): Promise<ApiKeyRecord[]> {
  const rows = await translated(() => db.orm.select(columns).from(apiKeys).orderBy(desc(apiKeys.createdAt)));
  return rows.map(recordOf);
}

/** An arbitrary constant: the advisory lock under which a first key is created, once. */
const FIRST_KEY_LOCK = 0x706a_6b31; // "pjk1"

/**
 * Stores the key only when the database has no active key, under an advisory lock, so two
 * processes starting together on a new database create one first key, not two. Undefined when
 * a key already existed.
 */
export async function insertFirstApiKey(
  db: Database,
  key: { hash: string; prefix: string; role: Role; label: string },
  actor: Actor,
): Promise<ApiKeyRecord | undefined> {
  return translated(() =>
    db.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${FIRST_KEY_LOCK})`;
      const [active] = await tx<{ n: number }[]>`
        select count(*)::int as n from api_keys where revoked_at is null`;
      if ((active?.n ?? 0) > 0) return undefined;
      const [row] = await tx<ApiKeyRow[]>`
        insert into api_keys (hash, prefix, role, label, created_by_kind, created_by_id)
        values (${key.hash}, ${key.prefix}, ${key.role}, ${key.label}, ${actor.kind}, ${actor.id})
        returning id, prefix, role, label, created_at, last_used_at, revoked_at,
          created_by_kind, created_by_id, revoked_by_kind, revoked_by_id`;
      return row ? recordFromRow(row) : undefined;
    }),
  );
}

export async function countActiveApiKeys(db: Database): Promise<number> {
  const [row] = await translated(
    () => db.sql<{ n: number }[]>`select count(*)::int as n from api_keys where revoked_at is null`,
  );
  return row?.n ?? 0;
}

/**
 * Revokes by id or by the visible prefix, at once: the time is the database's, so the clocks of the
 * processes that revoke and that authenticate do not matter. Unless `force`, the last active admin
 * key is refused (`conflict`): without one no admin can use the HTTP API until someone with the
 * database's credentials makes another. Under the first key's advisory lock, so two revocations at
 * once cannot each leave the other's key as the last.
 */
export async function markApiKeyRevoked(
  db: Database,
  idOrPrefix: string,
  actor: Actor,
  options: { force?: boolean } = {},
): Promise<ApiKeyRecord> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrPrefix);
  const row = await translated(() =>
    db.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${FIRST_KEY_LOCK})`;
      const [key] = await tx<{ id: string; prefix: string; role: string }[]>`
        select id, prefix, role from api_keys
        where ${isUuid ? tx`id = ${idOrPrefix}::uuid` : tx`prefix = ${idOrPrefix}`} and revoked_at is null`;
      if (!key) return undefined;
      if (key.role === 'admin' && !options.force) {
        const [others] = await tx<{ n: number }[]>`
          select count(*)::int as n from api_keys
          where role = 'admin' and revoked_at is null and id <> ${key.id}`;
        if ((others?.n ?? 0) === 0) {
          throw new StorageError(
            'conflict',
            `API key ${key.prefix} is the last active admin key: revoked, it would leave no admin key for the HTTP API. Create another first (\`pipelinejobs keys create --role admin\`), or revoke it anyway with --force (a leaked key: then make a new one with the CLI)`,
            { key: key.prefix },
          );
        }
      }
      const [revoked] = await tx<ApiKeyRow[]>`
        update api_keys set revoked_at = date_trunc('milliseconds', now()),
          revoked_by_kind = ${actor.kind}, revoked_by_id = ${actor.id}
        where id = ${key.id}
        returning id, prefix, role, label, created_at, last_used_at, revoked_at,
          created_by_kind, created_by_id, revoked_by_kind, revoked_by_id`;
      return revoked;
    }),
  );
  if (!row) throw new StorageError('not_found', `No active API key ${idOrPrefix}`, { key: idOrPrefix });
  return recordFromRow(row);
}
