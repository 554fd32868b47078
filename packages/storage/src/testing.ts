import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { migrate } from './migrate.js';

/**
 * Test support, exported as `@pipelinejobs/storage/testing`: on the real PostgreSQL server at
 * `url` (an external one, or an embedded one the caller started), a migrated template database,
 * from which each test file gets a database of its own in milliseconds.
 */

export interface TestPostgres {
  /** A URL for the server's maintenance database; CREATE DATABASE runs through it. */
  adminUrl: string;
  /** The migrated template database. */
  template: string;
  stop(): Promise<void>;
}

const suffix = () => `${process.pid}_${randomBytes(4).toString('hex')}`;

/** The URL `url` with its database replaced by `database` (same server, credentials, options). */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The template on the server at `url`; `stop()` drops it (the server is the caller's to stop). */
export async function startTestPostgres(options: { url: string }): Promise<TestPostgres> {
  const adminUrl = options.url;
  const template = `pj_template_${suffix()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${template}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const sql = postgres(databaseUrl(adminUrl, template), { max: 1, onnotice: () => {} });
  try {
    await migrate(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
  return {
    adminUrl,
    template,
    async stop() {
      await dropDatabase(adminUrl, template);
    },
  };
}

/** A new database cloned from the migrated template; returns its URL. */
export async function createTestDatabase(pg: { adminUrl: string; template: string }): Promise<string> {
  const name = `pj_test_${suffix()}`;
  const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${pg.template}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  return databaseUrl(pg.adminUrl, name);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
