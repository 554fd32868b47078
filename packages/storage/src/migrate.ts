import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Sql } from 'postgres';
import { StorageError, translated } from './errors.js';
import type { Database } from './open-database.js';

/** The committed drizzle-kit migrations; works from src/ and dist/. */
const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/** An arbitrary constant: the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK = 0x7069_706a; // "pipj"

/** A schema name used as is in SQL: lower-case letters, digits and underscores, as PostgreSQL folds them. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Schemas that are someone else's: PostgreSQL's own, and `drizzle`, where a database's tables in
 * `public` keep their list of applied migrations (tables there would share it, and each side
 * would take the other's migrations for its own).
 */
const TAKEN_SCHEMAS = new Set(['drizzle', 'information_schema']);

export interface SchemaOptions {
  /**
   * The PostgreSQL schema holding the tables; undefined: `public`. In a schema of its own, the
   * migrations' bookkeeping lives there too (another drizzle user of the database keeps its own).
   */
  readonly schema?: string | undefined;
}

/** Why `schema` cannot hold the tables, or undefined when it can. */
export function schemaNameFault(schema: string): string | undefined {
  if (!SCHEMA_NAME.test(schema)) {
    return 'a schema name here is lower-case letters, digits and _ (at most 63, not starting with a digit)';
  }
  if (schema.startsWith('pg_') || TAKEN_SCHEMAS.has(schema)) {
    return `schema ${schema} is taken (PostgreSQL's, or where the tables in public keep their migrations): choose another name`;
  }
  return undefined;
}

/** Refuses a schema name that could not be written into SQL as it is, or is taken. */
export function checkSchemaName(schema: string | undefined): void {
  const fault = schema === undefined ? undefined : schemaNameFault(schema);
  if (fault !== undefined) {
    throw new StorageError('invalid', `'${schema?.slice(0, 64)}' cannot hold the tables: ${fault}`);
  }
}

/** Where the list of applied migrations is kept. */
function bookkeeping(schema: string | undefined): { schema: string; table: string } {
  return schema === undefined
    ? { schema: 'drizzle', table: 'drizzle.__drizzle_migrations' }
    : { schema, table: `"${schema}".__drizzle_migrations` };
}

/**
 * A committed statement for the target schema: drizzle-kit writes foreign keys as
 * `"public"."jobs"`, which in another schema would point at whatever `jobs` table public holds.
 */
function forSchema(statement: string, schema: string | undefined): string {
  return schema === undefined ? statement : statement.replaceAll('"public".', `"${schema}".`);
}

/**
 * The time of the last migration applied, or -1 when the bookkeeping is missing (or, as for a
 * table drizzle-kit created, empty).
 */
async function lastApplied(sql: Sql, schema: string | undefined): Promise<number> {
  const { table } = bookkeeping(schema);
  const [exists] = await sql<{ found: boolean }[]>`select to_regclass(${table}) is not null as found`;
  if (!exists?.found) return -1;
  const [last] = await sql.unsafe<{ created_at: string }[]>(
    `select created_at from ${table} order by created_at desc limit 1`,
  );
  return last ? Number(last.created_at) : -1;
}

/**
 * Applies pending migrations in one transaction under a transaction-scoped advisory lock, so two
 * processes opening the same database at once do not race. Uses drizzle's own bookkeeping table
 * (drizzle.__drizzle_migrations, or __drizzle_migrations in the schema given), so drizzle-kit sees
 * the same history. Returns how many ran. With nothing to apply it creates and changes nothing,
 * so a role that may only read and write rows can run it on an up-to-date database.
 */
export async function migrate(sql: Sql, options: SchemaOptions = {}): Promise<number> {
  const { schema } = options;
  checkSchemaName(schema);
  const migrations = readMigrationFiles({ migrationsFolder });
  const books = bookkeeping(schema);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`set local client_min_messages = warning`;
    const lastMillis = await lastApplied(tx as unknown as Sql, schema);
    const pending = migrations.filter((migration) => migration.folderMillis > lastMillis);
    if (pending.length === 0) return 0;
    // Created only when missing: a schema made by a DBA needs no CREATE privilege on the database.
    const [present] = await tx<{ found: boolean }[]>`
      select exists (select 1 from pg_namespace where nspname = ${books.schema}) as found`;
    if (!present?.found) await tx.unsafe(`create schema "${books.schema}"`);
    if (schema !== undefined) await tx.unsafe(`set local search_path to "${schema}"`);
    if (lastMillis < 0) {
      await tx.unsafe(`create table if not exists ${books.table} (
        id serial primary key, hash text not null, created_at bigint)`);
    }
    for (const migration of pending) {
      for (const statement of migration.sql) {
        if (statement.trim()) await tx.unsafe(forSchema(statement, schema));
      }
      await tx.unsafe(`insert into ${books.table} (hash, created_at) values ($1, $2)`, [
        migration.hash,
        migration.folderMillis,
      ]);
    }
    return pending.length;
  });
}

/**
 * Applies pending migrations to an open database (see `migrate`), in its schema, a failure
 * translated as every repository's is. Returns how many ran.
 */
export function applyMigrations(db: Database): Promise<number> {
  return translated(() => migrate(db.sql, { schema: db.schema }));
}

/** Where a database's schema stands against this version's committed migrations. */
export interface MigrationStatus {
  /** Committed migrations the database has not applied yet. */
  readonly pending: number;
  /** Migrations the database applied that this version does not have (a later version's). */
  readonly ahead: number;
}

/** Read without writing or locking anything (a role that may only read and write rows can ask). */
export function migrationStatus(db: Database): Promise<MigrationStatus> {
  return translated(async () => {
    checkSchemaName(db.schema);
    const migrations = readMigrationFiles({ migrationsFolder });
    const lastMillis = await lastApplied(db.sql, db.schema);
    const newest = Math.max(-1, ...migrations.map((migration) => migration.folderMillis));
    let ahead = 0;
    if (lastMillis > newest) {
      const [row] = await db.sql.unsafe<{ n: number }[]>(
        `select count(*)::int as n from ${bookkeeping(db.schema).table} where created_at > $1`,
        [newest],
      );
      ahead = row?.n ?? 0;
    }
    return {
      pending: migrations.filter((migration) => migration.folderMillis > lastMillis).length,
      ahead,
    };
  });
}
