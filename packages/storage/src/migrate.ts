import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Sql } from 'postgres';
import { translated } from './errors.js';
import type { Database } from './open-database.js';

/** The committed drizzle-kit migrations; works from src/ and dist/. */
const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/** An arbitrary constant: the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK = 0x7069_706a; // "pipj"

/**
 * Applies pending migrations in one transaction under a transaction-scoped advisory lock, so two
 * processes opening the same database at once do not race. Uses drizzle's own bookkeeping table
 * (drizzle.__drizzle_migrations), so drizzle-kit sees the same history. Returns how many ran.
 */
export async function migrate(sql: Sql): Promise<number> {
  const migrations = readMigrationFiles({ migrationsFolder });
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`set local client_min_messages = warning`;
    await tx`create schema if not exists drizzle`;
    await tx`create table if not exists drizzle.__drizzle_migrations (
      id serial primary key, hash text not null, created_at bigint)`;
    const [last] = await tx<{ created_at: string }[]>`
      select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`;
    const lastMillis = last ? Number(last.created_at) : -1;
    let applied = 0;
    for (const migration of migrations) {
      if (migration.folderMillis <= lastMillis) continue;
      for (const statement of migration.sql) {
        if (statement.trim()) await tx.unsafe(statement);
      }
      await tx`insert into drizzle.__drizzle_migrations (hash, created_at)
        values (${migration.hash}, ${migration.folderMillis})`;
      applied += 1;
    }
    return applied;
  });
}

/**
 * Applies pending migrations to an open database (see `migrate`), a failure translated as every
 * repository's is. Returns how many ran.
 */
export function applyMigrations(db: Database): Promise<number> {
  return translated(() => migrate(db.sql));
}
