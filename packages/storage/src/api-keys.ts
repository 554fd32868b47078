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
 * database refusing writes must not turn every authenticated read into a failed write); the
 * write itself is conditional, so that N processes write it at most once a minute too.
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
    await db.sql`
      update api_keys set last_used_at = date_trunc('milliseconds', now())
      where id = ${key.id}
        and (last_used_at is null or last_used_at < now() - make_interval(secs => ${TOUCH_INTERVAL_MS / 1000}))`;
  } catch {
    // Bookkeeping only: the request goes on. If writes are refused, the request's own writes (or
    // /readyz) report why; the next try is a minute later.
  }
}

/** The channel a revocation is announced on, in the revoking transaction (delivered at commit). */
const REVOKED_CHANNEL = 'pipelinejobs_api_key_revoked';

/**
 * How long a key read from the database is trusted. While this process listens on
 * `REVOKED_CHANNEL`, a revocation evicts it at once; the age still bounds what LISTEN cannot
 * promise (a connection that hangs without closing, a pooler that accepts LISTEN and never
 * delivers, a row edited by hand): a second, so a revocation is effective everywhere within a
 * second whatever happens to the listening connection, for one read per key a second. While it
 * does not listen (not yet, the connection lost, LISTEN refused), half a second.
 */
const MAX_AGE_LISTENING_MS = 1000;
const MAX_AGE_UNLISTENED_MS = 500;
/** Keys remembered per process; past it, the oldest goes (a miss costs one read). */
const MAX_CACHED_KEYS = 10_000;

interface KeyCache {
  byHash: Map<string, { record: ApiKeyRecord; readAt: number }>;
  listening: boolean;
  /** When a key was last looked up: the cache and its connection go when idle as long as the pool's. */
  usedAt: number;
  /**
   * Bumped by every eviction: a read that began before one is not cached (it may have read a key
   * revoked since, whose notification came while the read was in flight).
   */
  generation: number;
}

const keyCaches = new WeakMap<Database, KeyCache>();

/**
 * This process's cache of keys for the database, with its LISTEN connection. Made at the first
 * lookup; dropped, connection closed, once no key was looked up for as long as the pool keeps an
 * unused connection, so that an idle process holds no connection (the embedded server's users
 * count on it) and the next lookup starts afresh.
 */
function keyCacheOf(db: Database): KeyCache {
  const known = keyCaches.get(db);
  if (known) {
    known.usedAt = Date.now();
    return known;
  }
  const cache: KeyCache = { byHash: new Map(), listening: false, generation: 0, usedAt: Date.now() };
  keyCaches.set(db, cache);
  const listener = db.listen(REVOKED_CHANNEL, {
    notify: (id) => forgetKey(cache, id),
    listening: (up) => {
      // Notifications may have been missed while down: nothing read before is trusted.
      cache.byHash.clear();
      cache.generation += 1;
      cache.listening = up;
    },
  });
  const idleMs = db.idleSeconds * 1000;
  const idleCheck = setInterval(
    () => {
      if (Date.now() - cache.usedAt < idleMs) return;
      clearInterval(idleCheck);
      if (keyCaches.get(db) === cache) keyCaches.delete(db);
      cache.listening = false;
      void listener.stop();
    },
    Math.min(idleMs, 1000),
  );
  idleCheck.unref();
  return cache;
}

function forgetKey(cache: KeyCache, id: string): void {
  cache.generation += 1;
  for (const [hash, entry] of cache.byHash) if (entry.record.id === id) cache.byHash.delete(hash);
}

function cachedKey(cache: KeyCache, hash: string): ApiKeyRecord | undefined {
  const entry = cache.byHash.get(hash);
  if (!entry) return undefined;
  const maxAge = cache.listening ? MAX_AGE_LISTENING_MS : MAX_AGE_UNLISTENED_MS;
  if (Date.now() - entry.readAt < maxAge) return entry.record;
  cache.byHash.delete(hash);
  return undefined;
}

function cacheKey(cache: KeyCache, hash: string, record: ApiKeyRecord, readAt: number): void {
  if (cache.byHash.size >= MAX_CACHED_KEYS) {
    const oldest = cache.byHash.keys().next();
    if (!oldest.done) cache.byHash.delete(oldest.value);
  }
  cache.byHash.set(hash, { record, readAt });
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
 * once a minute, see `touch`). On every authenticated request: answered from this process's cache
 * of keys (see `MAX_AGE_LISTENING_MS`), else by plain SQL (a prepared statement). Unknown hashes
 * are not cached, so a key created by another process works at once.
 */
export async function findApiKeyByHash(db: Database, hash: string): Promise<ApiKeyRecord | undefined> {
  const cache = keyCacheOf(db);
  let key = cachedKey(cache, hash);
  if (key === undefined) {
    const generation = cache.generation;
    const readAt = Date.now();
    const [row] = await translated(
      () => db.sql<ApiKeyRow[]>`
        select id, prefix, role, label, created_at, last_used_at, revoked_at,
          created_by_kind, created_by_id, revoked_by_kind, revoked_by_id
        from api_keys where hash = ${hash}`,
    );
    if (!row) return undefined;
    key = recordFromRow(row);
    if (cache.generation === generation) cacheKey(cache, hash, key, readAt);
  }
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
 * once cannot each leave the other's key as the last. Announced on `REVOKED_CHANNEL` in the same
 * transaction (PostgreSQL delivers it when the revocation commits), so every process stops
 * accepting the key at once.
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
      if (revoked) await tx`select pg_notify(${REVOKED_CHANNEL}, ${revoked.id})`;
      return revoked;
    }),
  );
  if (!row) throw new StorageError('not_found', `No active API key ${idOrPrefix}`, { key: idOrPrefix });
  const record = recordFromRow(row);
  // This process at once, whether or not it listens.
  const cache = keyCaches.get(db);
  if (cache) forgetKey(cache, record.id);
  return record;
}
