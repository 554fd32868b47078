import type { Database } from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { withTestDatabase } from './helpers.js';

/**
 * The keys a distribution by job uuid needs (docs/architecture.md, "Growing past one machine"):
 * on a sharded PostgreSQL (Citus) every primary key and unique index of a table distributed by
 * job uuid must include that column, or it cannot be enforced per shard. Read from the migrated
 * database itself, so a migration that adds a key without it fails here.
 */

/** Job-scoped tables and the column that holds their job's uuid. */
const JOB_SCOPED: Record<string, string> = {
  jobs: 'uuid',
  job_events: 'job_uuid',
  job_audit: 'job_uuid',
  webhook_outbox: 'job_uuid',
  webhook_attempts: 'job_uuid',
};

/**
 * Keys that may lack the job uuid, each with why. Empty: every key of a job-scoped table holds
 * it. This test fails both when a key without it appears and when a listed one is gone.
 */
const EXCEPTIONS: Record<string, string> = {};

interface Key {
  table: string;
  name: string;
  columns: string[];
}

/** Every primary key and unique index (constraints included) of the tables, with its key columns. */
async function uniqueKeys(db: Database, tables: string[]): Promise<Key[]> {
  return db.sql<Key[]>`
    select t.relname as table, i.relname as name,
      array(
        select coalesce(a.attname, '(expression)')
        from unnest(x.indkey[0:x.indnkeyatts - 1]) with ordinality as k(attnum, n)
        left join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
        order by k.n
      )::text[] as columns
    from pg_index x
    join pg_class i on i.oid = x.indexrelid
    join pg_class t on t.oid = x.indrelid
    join pg_namespace s on s.oid = t.relnamespace
    where s.nspname = 'public' and t.relname = any(${tables}) and (x.indisunique or x.indisprimary)
    order by t.relname, i.relname`;
}

let db: Database;
withTestDatabase({ poolSize: 2 }, (opened) => {
  db = opened;
});

describe('keys of the job-scoped tables', () => {
  it('lists every table that holds a job uuid (a new one must be added above)', async () => {
    const rows = await db.sql<{ table: string }[]>`
      select c.table_name as table from information_schema.columns c
      where c.table_schema = 'public' and c.column_name = 'job_uuid' and c.is_nullable = 'NO'`;
    // jobs holds its own uuid; nonces.job_uuid is an optional scope, not ownership.
    expect(['jobs', ...rows.map((r) => r.table)].sort()).toEqual(Object.keys(JOB_SCOPED).sort());
  });

  it('include the job uuid in every primary key and unique index, but the listed exceptions', async () => {
    const keys = await uniqueKeys(db, Object.keys(JOB_SCOPED));
    // Sanity: the read sees the keys the schema declares.
    expect(keys.map((k) => `${k.table}.${k.name}`)).toEqual(
      expect.arrayContaining([
        'jobs.jobs_pkey',
        'job_events.job_events_job_uuid_seq_pk',
        'job_audit.job_audit_job_uuid_id_pk',
      ]),
    );
    const without = keys
      .filter((k) => !k.columns.includes(JOB_SCOPED[k.table] as string))
      .map((k) => `${k.table}.${k.name}`);
    expect(without.sort()).toEqual(Object.keys(EXCEPTIONS).sort());
  });
});
