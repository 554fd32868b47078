import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from '@pipelinejobs/storage';
import { databaseUrl } from '@pipelinejobs/storage/testing';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import postgres from 'postgres';

/** The committed migrations, oldest first. */
export const committedMigrations = () =>
  readMigrationFiles({ migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)) });

/**
 * A new database `name` with the schema of the first `count` committed migrations only, recorded
 * as drizzle's migrator records them: a database an earlier release wrote, for the upgrade tests
 * (they fill it as that release would, then apply the rest). The caller closes and drops it.
 */
export async function databaseAtMigration(adminUrl: string, name: string, count: number): Promise<Database> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const db = await openDatabase({ url: databaseUrl(adminUrl, name), poolSize: 2 }, { migrate: false });
  const { sql } = db;
  const files = committedMigrations();
  await sql`create schema drizzle`;
  await sql`create table drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`;
  for (const file of files.slice(0, count)) {
    for (const statement of file.sql) if (statement.trim()) await sql.unsafe(statement);
    await sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${file.hash}, ${file.folderMillis})`;
  }
  return db;
}
